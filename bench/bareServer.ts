/**
 * Baseline A: the least an HTTP order intake can do in Node on this machine. It reads the
 * whole body, JSON.parses it and answers 201 with a small JSON body, with no validation, no
 * authentication and no storage. The gateway's throughput is reported as a share of this.
 * Run as a child process by the bench (BARE_PORT chooses the port).
 */
import { createServer } from 'node:http';

let accepted = 0;

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let order: { symbol?: unknown };
    try {
      order = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { symbol?: unknown };
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"code":"invalid_json"}');
      return;
    }
    accepted += 1;
    const body = JSON.stringify({ id: accepted, symbol: order.symbol, status: 'pending' });
    response.writeHead(201, { 'content-type': 'application/json; charset=utf-8' }).end(body);
  });
});

server.listen(Number(process.env['BARE_PORT'] ?? 0), '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
