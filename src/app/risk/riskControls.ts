/**
 * The risk desk's controls: limits, trading states, the kill switch, cash and instruments.
 * Each change is written with its audit row (who, when, old and new values) in one
 * transaction, then applied to this process's gate; other instances pick it up on their next
 * refresh, and the store refuses reservations into a halted scope at commit meanwhile.
 * Kill switch invariants: the halt applies in this process before anything is awaited, so no
 * order is admitted after the trip; the orders admitted before it commit before the halt is
 * written (the audit chain shows them first); the sweep then requests the cancel of every
 * working order in scope, each as soon as its cancel request is committed. Other instances see the halt on
 * their next refresh, and their commits are refused by the store from the moment it is written.
 */
import { FIRM_SCOPE, type Instrument, type LimitSettings, type TradingState } from '../../domain/risk/limits.ts';
import type { Dec } from '../../domain/money.ts';
import { decide } from '../../domain/order/decide.ts';
import type { Order } from '../../domain/order/order.ts';
import type { AccountRecord, ControlMeta } from '../../ports/accounts.ts';
import { StoreConflict } from '../../ports/store.ts';
import type { EventBus, OutboxEvent } from '../../ports/bus.ts';
import { cancelChange, cancelOrder, sendCancel, type ExecutionWake } from '../cancelOrder.ts';
import type { OrderContext } from '../context.ts';
import { buildChange } from '../orderChanges.ts';
import { limitsToJson, storedLimits } from './limitsCodec.ts';
import type { RiskGate } from './riskGate.ts';

export interface KillSwitchOutcome {
  readonly scope: string;
  readonly cancelRequested: number;
  readonly elapsedMs: number;
}

export class RiskControls {
  constructor(
    private readonly ctx: OrderContext,
    private readonly gate: RiskGate,
    private readonly execution: ExecutionWake,
    private readonly bus: EventBus,
  ) {}

  async setLimits(scope: string, patch: LimitSettings, actor: string, reason: string | null): Promise<LimitSettings> {
    const { after } = await this.gate.store.writeSetting<Record<string, unknown>>(
      { key: `limits:${scope}`, update: (before) => ({ ...(before ?? {}), ...limitsToJson(patch) }) }, this.meta(actor, reason), null);
    const settings = storedLimits(after);
    this.gate.setLimits(scope, settings);
    return settings;
  }

  async setState(scope: string, state: TradingState, actor: string, reason: string | null, event = 'trading_state.changed'): Promise<TradingState | null> {
    this.gate.setState(scope, state);
    const traders = scope === FIRM_SCOPE ? await this.gate.store.listTraders() : [scope];
    const at = this.ctx.clock.now();
    const { before, events } = await this.gate.store.writeSetting<TradingState>({ key: `state:${scope}`, update: () => state }, this.meta(actor, reason, at), {
      traderIds: traders,
      newId: () => this.ctx.ids.next(),
      body: { event, scope: scope === FIRM_SCOPE ? 'firm' : 'trader', trading_state: state, reason, timestamp: at.toISOString() },
    });
    await this.publish(events);
    return before;
  }

  async tripKillSwitch(scope: string, actor: string, reason: string | null): Promise<KillSwitchOutcome> {
    const started = performance.now();
    this.gate.setState(scope, 'halted');
    // Orders admitted before the trip commit first, so the store need not refuse them one by one.
    await this.gate.settled(scope);
    // The halt is in force here already; its write (audit row, stream events) runs alongside the sweep.
    const written = this.setState(scope, 'halted', actor, reason, 'kill_switch.tripped');
    const working = (await this.ctx.store.listWorkingOrders())
      .filter((o) => (scope === FIRM_SCOPE || o.traderId === scope) && o.status !== 'pending_cancel');
    const why = `kill switch${reason ? `: ${reason}` : ''}`;
    const results = await Promise.allSettled(working.map((o) => this.cancelForKill(o, why)));
    await written;
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) this.ctx.log.error({ scope, failed: failed.length }, 'kill switch: some cancels could not be requested');
    const elapsedMs = performance.now() - started;
    this.ctx.log.warn({ scope, actor, cancelRequested: working.length, elapsedMs }, 'kill switch tripped');
    return { scope, cancelRequested: working.length - failed.length, elapsedMs };
  }

  async releaseKillSwitch(scope: string, actor: string, reason: string | null): Promise<void> {
    await this.setState(scope, 'active', actor, reason, 'kill_switch.released');
    this.ctx.log.warn({ scope, actor }, 'kill switch released');
  }

  async creditCash(traderId: string, amount: Dec, actor: string, reason: string | null): Promise<AccountRecord> {
    const account = await this.gate.store.creditCash(traderId, amount, this.gate.options.openingCash, this.meta(actor, reason));
    this.gate.invalidate(traderId);
    return account;
  }

  async putInstrument(instrument: Instrument, actor: string): Promise<Instrument | null> {
    const { before } = await this.gate.store.putInstrument(instrument, this.meta(actor, null));
    this.gate.setInstrument(instrument);
    return before;
  }

  /**
   * CancelOrder for an order just listed: no re-read unless it changed since (then CancelOrder
   * proper), so a sweep of many orders is a few group commits and one venue call per order.
   */
  private async cancelForKill(listed: Order, reason: string): Promise<void> {
    const requested = await this.ctx.locks.run(listed.id, async () => {
      const decision = decide({ kind: 'request_cancel', reason }, listed, this.ctx.clock.now());
      if (!decision.ok) return null;
      const built = buildChange(this.ctx.ids, listed, decision.value);
      await this.ctx.committer.commit(cancelChange(this.ctx, built.order, built.change));
      return built.order;
    }).catch((error: unknown) => {
      if (error instanceof StoreConflict && error.kind === 'order_version') return 'changed' as const;
      throw error;
    });
    if (requested === 'changed') {
      await cancelOrder(this.ctx, this.execution, listed.traderId, listed.id, null, reason);
      return;
    }
    if (requested) await sendCancel(this.ctx, this.execution, requested);
  }

  private meta(actor: string, reason: string | null, at = this.ctx.clock.now()): ControlMeta {
    return { auditId: this.ctx.ids.next(), actor, reason, at };
  }

  private async publish(events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Best effort: the events are in the outbox, which clients replay with `since` and the relay republishes.
    await this.bus.publish(events).catch((error) => this.ctx.log.warn({ err: String(error) }, 'publishing risk events failed'));
  }
}
