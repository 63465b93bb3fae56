/** Instruments: anyone authenticated lists them; an admin lists a new one or changes one. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';
import { isSymbol } from '../../domain/ids.ts';
import { decimalText, parsePositiveDecimal, type Dec } from '../../domain/money.ts';
import type { Instrument } from '../../domain/risk/limits.ts';
import type { HttpDeps } from '../deps.ts';
import { authenticated, sendJson } from '../guard.ts';
import { validationProblem, type FieldProblem } from '../problems.ts';
import { errorResponses } from '../schemas.ts';

const InstrumentRequest = Type.Object({
  symbol: Type.Optional(Type.String()),
  lot_size: Type.Optional(Type.String()),
  tick_size: Type.Optional(Type.String()),
  reference_price: Type.Optional(Type.String()),
  tradable: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const instrumentJson = (i: Instrument) => ({
  symbol: i.symbol, lot_size: decimalText(i.lotSize), tick_size: decimalText(i.tickSize), reference_price: decimalText(i.referencePrice), tradable: i.tradable,
});

export const instrumentRoutes = (deps: HttpDeps) => fp(async (app: FastifyInstance) => {
  const { gate, controls } = deps.risk;

  app.get('/api/v1/instruments', {
    onRequest: authenticated(deps),
    schema: { summary: 'The instruments orders may name', tags: ['instruments'], response: errorResponses(401) },
  }, async (_request, reply) => sendJson(reply, 200, JSON.stringify({ instruments: gate.listInstruments().map(instrumentJson) })));

  app.put('/api/v1/instruments/:symbol', {
    onRequest: authenticated(deps, 'admin'),
    schema: {
      summary: 'List or change an instrument', tags: ['instruments'], params: Type.Object({ symbol: Type.String({ maxLength: 16 }) }),
      body: InstrumentRequest, response: errorResponses(400, 401, 403),
    },
  }, async (request, reply) => {
    const { symbol } = request.params as { symbol: string };
    const body = request.body as { symbol?: string; lot_size?: string; tick_size?: string; reference_price?: string; tradable?: boolean };
    const errors: FieldProblem[] = [];
    if (!isSymbol(symbol)) errors.push({ field: 'symbol', message: 'must be an upper-case symbol such as "AAPL"' });
    if (body.symbol !== undefined && body.symbol !== symbol) errors.push({ field: 'symbol', message: 'must match the symbol in the path' });
    const current = gate.instrument(symbol);
    const decimal = (field: 'lot_size' | 'tick_size' | 'reference_price', fallback: Dec | undefined): Dec | null => {
      const raw = body[field];
      if (raw === undefined) {
        if (fallback === undefined) errors.push({ field, message: 'is required for a new instrument' });
        return fallback ?? null;
      }
      const parsed = parsePositiveDecimal(raw, false);
      if (typeof parsed === 'string') errors.push({ field, message: 'must be a positive decimal string such as "0.01"' });
      return typeof parsed === 'string' ? null : parsed;
    };
    const lotSize = decimal('lot_size', current?.lotSize);
    const tickSize = decimal('tick_size', current?.tickSize);
    const referencePrice = decimal('reference_price', current?.referencePrice);
    if (errors.length > 0 || !lotSize || !tickSize || !referencePrice) throw validationProblem(errors);
    const instrument = { symbol, lotSize, tickSize, referencePrice, tradable: body.tradable ?? current?.tradable ?? true };
    const before = await controls.putInstrument(instrument, request.principal.traderId);
    return sendJson(reply, before ? 200 : 201, JSON.stringify(instrumentJson(gate.instrument(symbol) ?? instrument)));
  });
});
