// Drives @stoqey/ib (unmodified) against the fake for tests/clients/test_stoqey_ib.py.
//
//   node acceptance.js <scenario> '<json arguments>'
//
// Prints one JSON object on stdout: what the scenario saw, or {"error": ...}. Every wait is on
// a client event, bounded by args.timeout seconds.
"use strict";

const ib = require("@stoqey/ib");
const { IBApi, EventName } = ib;

const args = JSON.parse(process.argv[3] || "{}");
const TIMEOUT_MS = (args.timeout || 10) * 1000;

function plain(value) {
  // class instances (Order, OrderState, conditions) as plain JSON; undefined stays absent
  return JSON.parse(JSON.stringify(value === undefined ? null : value));
}

const everything = [];

function connect(clientId) {
  const api = new IBApi({ host: args.host, port: args.port });
  const seen = { errors: [], status: {}, openOrders: {}, executions: [], commissions: [] };
  everything.push(seen);
  api.on(EventName.error, (error, code, reqId) => {
    seen.errors.push({ code: code, reqId: reqId, message: String(error && error.message) });
  });
  api.on(EventName.orderStatus, (orderId, status) => {
    (seen.status[orderId] = seen.status[orderId] || []).push(status);
  });
  api.on(EventName.openOrder, (orderId, contract, order, orderState) => {
    seen.openOrders[orderId] = { contract: plain(contract), order: plain(order),
                                 orderState: plain(orderState) };
  });
  api.on(EventName.execDetails, (reqId, contract, execution) => {
    seen.executions.push({ contract: plain(contract), execution: plain(execution) });
  });
  api.on(EventName.commissionReport, (report) => seen.commissions.push(plain(report)));
  const ready = new Promise((resolve) => api.once(EventName.nextValidId, resolve));
  api.connect(clientId);
  return ready.then((nextId) => ({ api, seen, nextId }));
}

function until(what, condition) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (condition()) return resolve();
      if (Date.now() - started > TIMEOUT_MS) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

function aapl() {
  return { conId: args.conId, symbol: "AAPL", secType: "STK", exchange: "SMART", currency: "USD" };
}

function buildOrder(spec) {
  const order = {};
  for (const [name, value] of Object.entries(spec)) {
    order[name] = name === "algoParams" ? value.map(([tag, text]) => ({ tag, value: text })) : value;
  }
  return order;
}

function conditions() {
  const p = args.priceCondition;
  const t = args.timeCondition;
  const AND = ib.ConjunctionConnection.AND;
  return [new ib.PriceCondition(p.price, p.triggerMethod, p.conId, p.exch, p.isMore, AND),
          new ib.TimeCondition(t.time, t.isMore, AND)];
}

const scenarios = {
  async connect() {
    const { api, nextId } = await connect(args.clientId);
    const result = { serverVersion: api.serverVersion, nextId };
    api.disconnect();
    return result;
  },

  async fill() {
    const { api, seen, nextId } = await connect(args.clientId);
    api.placeOrder(nextId, aapl(), { action: "BUY", orderType: "LMT", totalQuantity: 10,
                                     lmtPrice: args.limit, transmit: true });
    await until("Filled, execDetails and a commission report", () =>
      (seen.status[nextId] || []).includes("Filled") && seen.executions.length &&
      seen.commissions.length);
    api.disconnect();
    return { orderId: nextId, ...seen };
  },

  async cancel() {
    const { api, seen, nextId } = await connect(args.clientId);
    api.placeOrder(nextId, aapl(), { action: "BUY", orderType: "LMT", totalQuantity: 5,
                                     lmtPrice: args.limit, transmit: true });
    await until("Submitted", () => (seen.status[nextId] || []).includes("Submitted"));
    api.cancelOrder(nextId);
    await until("Cancelled", () => (seen.status[nextId] || []).includes("Cancelled"));
    api.disconnect();
    return { orderId: nextId, ...seen };
  },

  async whatif() {
    const { api, seen, nextId } = await connect(args.clientId);
    api.placeOrder(nextId, aapl(), { action: "BUY", orderType: "LMT", totalQuantity: 10,
                                     lmtPrice: args.limit, whatIf: true, transmit: true });
    await until("the what-if openOrder", () => seen.openOrders[nextId]);
    api.disconnect();
    return { orderId: nextId, ...seen };
  },

  async readback() {
    const first = await connect(args.clientId);
    const placed = {};
    args.orders.forEach((spec, i) => {
      const order = buildOrder(spec);
      if (i === 0) order.conditions = conditions();
      order.transmit = true;
      placed[first.nextId + i] = order;
      first.api.placeOrder(first.nextId + i, aapl(), order);
    });
    await until("both working", () => Object.keys(placed).every((id) => first.seen.status[id]));
    const second = await connect(args.otherClientId);
    const ended = new Promise((resolve) => second.api.once(EventName.openOrderEnd, resolve));
    second.api.reqAllOpenOrders();
    await Promise.race([ended, until("openOrderEnd", () => false)]);
    second.api.disconnect();
    first.api.disconnect();
    return { placed: plain(placed), seen: second.seen.openOrders, errors: first.seen.errors };
  },
};

scenarios[process.argv[2]]()
  .then((result) => { process.stdout.write(JSON.stringify(result)); process.exit(0); })
  .catch((error) => { process.stdout.write(JSON.stringify({ error: String(error), seen: everything })); process.exit(0); });
