/**
 * Risk denials as problem+json: 422 with the check's code, its one-sentence detail and its
 * numbers; an unknown symbol is a 400 (API.md), as the order names something that is not there.
 */
import { denialMessage, denialNumbers, type Denial } from '../domain/risk/denials.ts';
import { ApiProblem } from './problems.ts';

export function riskProblem(denial: Denial): ApiProblem {
  const status = denial.code === 'unknown_symbol' ? 400 : 422;
  const title = denial.code === 'unknown_symbol' ? 'Unknown symbol' : 'Order denied by pre-trade risk';
  return new ApiProblem(status, denial.code, title, denialMessage(denial), denialNumbers(denial));
}
