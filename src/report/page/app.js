/* coinrx dashboard page: plain JS, no build step. Renders the view of src/report/dashboard-state.ts,
 * pushed over the websocket /ws (live) or embedded in #coinrx-data (a static report). */
(function () {
  'use strict';
  const HORIZONS = ['1h', '6h', '12h', '24h'];
  const COLORS = { equity: '#4da3ff', invested: '#9b7bff', ret: '#4da3ff', win: '#e0a84d', buys: '#2fb36b', sells: '#e0524d', price: '#d8dee6', high: '#2fb36b', low: '#e0524d', breadth: '#4da3ff', coin: '#e0a84d' };
  const AVG_COLORS = { '10m': '#ffd166', '1h': '#06d6a0', '6h': '#118ab2', '1d': '#ef476f' };
  const charts = {};
  const ui = { view: null, coin: undefined, position: undefined, ws: null, updates: 0 };
  window.coinrx = ui;
  window.coinrxCharts = charts;

  const $ = (sel) => document.querySelector(sel);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const isNum = (n) => typeof n === 'number' && Number.isFinite(n);
  function num(n, d) {
    if (!isNum(n)) return '—';
    const a = Math.abs(n);
    const digits = d !== undefined ? d : a >= 1000 ? 0 : a >= 1 ? 2 : 4;
    return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  }
  const pct = (n, d) => (isNum(n) ? `${(n * 100).toFixed(d === undefined ? 2 : d)}%` : '—');
  const time = (ts) => (isNum(ts) && ts > 0 ? new Date(ts).toISOString().replace('T', ' ').slice(0, 19) : '—');
  const signed = (n, text) => `<span class="${n > 0 ? 'pos' : n < 0 ? 'neg' : ''}">${text}</span>`;
  const regimeCell = (r) => (r ? `<span class="r-${esc(r)}">${esc(r)}</span>` : '—');
  const secs = (arr) => arr.map((t) => t / 1000);
  function compact(n) {
    if (!isNum(n)) return '';
    const a = Math.abs(n);
    if (a >= 1e9) return `${+(n / 1e9).toFixed(2)}B`;
    if (a >= 1e6) return `${+(n / 1e6).toFixed(2)}M`;
    if (a >= 1e4) return `${+(n / 1e3).toFixed(1)}k`;
    return `${+n.toFixed(a >= 100 ? 0 : a >= 1 ? 2 : 6)}`;
  }
  const compactAxis = (u, splits) => splits.map(compact);

  /** Rewrites a table body only when its content changed (a row being clicked stays in place). */
  function rows(tbody, items, render) {
    const html = items.length ? items.map(render).join('') : `<tr><td class="empty" colspan="20">none yet</td></tr>`;
    if (tbody._html === html) return;
    tbody._html = html;
    tbody.innerHTML = html;
  }

  function setHtml(el, html) {
    if (el._html === html) return;
    el._html = html;
    el.innerHTML = html;
  }

  // ---- charts (uPlot) --------------------------------------------------------------------------
  function chartWidth(el) {
    return Math.max(280, el.clientWidth || el.parentElement.clientWidth || 480);
  }
  function plot(name, el, opts, data) {
    if (!el || typeof uPlot === 'undefined') return;
    const hasData = data[0].length > 0;
    let c = charts[name];
    if (c && c._series !== opts.series.length) {
      c.destroy();
      c = undefined;
    }
    if (!hasData) {
      if (c) {
        c.destroy();
        delete charts[name];
      }
      el.innerHTML = '<div class="empty">no data yet</div>';
      return;
    }
    if (!c) {
      el.innerHTML = '';
      c = new uPlot({ width: chartWidth(el), height: el.classList.contains('small') ? 150 : 240, ...opts }, data, el);
      c._series = opts.series.length;
      charts[name] = c;
    } else c.setData(data);
  }
  const axisStyle = { stroke: '#8693a2', grid: { stroke: '#222a33' }, ticks: { stroke: '#222a33' } };

  function drawCharts(v) {
    const ch = v.charts;
    // Invested is the part of equity held in coins: a shaded area under the equity line, on its scale.
    plot('equity', $('#chart-equity'), {
      series: [{}, { label: 'invested', stroke: COLORS.invested, width: 0.5, fill: 'rgba(155,123,255,.28)', value: (u, x) => num(x) }, { label: 'equity', stroke: COLORS.equity, width: 1.5, value: (u, x) => num(x) }],
      axes: [axisStyle, { ...axisStyle, size: 60, values: compactAxis }],
    }, [secs(ch.equity.ts), ch.equity.invested, ch.equity.equity]);

    // Bars are centred on their period: the x range is widened by half a period at each end so the
    // first and last bars are drawn whole.
    const period = ch.hourly.period || 'hour';
    const half = (period === 'week' ? 7 * 86400 : period === 'day' ? 86400 : 3600) / 2;
    const barX = { x: { time: true, range: (u, min, max) => [min - half, max + half] } };
    $('#hourly-title').textContent = `${period === 'hour' ? 'Hourly' : period === 'day' ? 'Daily' : 'Weekly'} return and win rate`;
    $('#counts-title').textContent = `Buys and sells per ${period}`;

    plot('hourly', $('#chart-hourly'), {
      series: [{}, { label: 'return', stroke: COLORS.ret, fill: 'rgba(77,163,255,.25)', scale: 'ret', paths: uPlot.paths.bars({ size: [0.6, 40] }), value: (u, x) => pct(x) },
        { label: 'win rate', stroke: COLORS.win, scale: 'win', width: 1.5, points: { show: true, size: 4 }, spanGaps: true, value: (u, x) => pct(x, 0) }],
      scales: { ...barX, win: { range: [0, 1] } },
      axes: [axisStyle, { ...axisStyle, scale: 'ret', size: 60, values: (u, s) => s.map((x) => pct(x, 2)) }, { ...axisStyle, scale: 'win', side: 1, grid: { show: false }, values: (u, s) => s.map((x) => pct(x, 0)) }],
    }, [secs(ch.hourly.ts), ch.hourly.return, ch.hourly.winRate]);

    plot('counts', $('#chart-counts'), {
      series: [{}, { label: 'buys', stroke: COLORS.buys, fill: 'rgba(47,179,107,.3)', paths: uPlot.paths.bars({ size: [0.35, 20], align: -1 }) },
        { label: 'sells', stroke: COLORS.sells, fill: 'rgba(224,82,77,.3)', paths: uPlot.paths.bars({ size: [0.35, 20], align: 1 }) }],
      scales: barX,
      axes: [axisStyle, { ...axisStyle, size: 40 }],
    }, [secs(ch.hourly.ts), ch.hourly.buys, ch.hourly.sells]);

    const br = ch.byRegime;
    const labels = br.map((r) => `${r.horizon} ${r.regime}`);
    plot('byRegime', $('#chart-by-regime'), {
      // Half a slot of room at each end: the first and last pairs of bars are drawn whole.
      scales: { x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] }, ret: {} },
      series: [{ label: 'horizon regime', value: (u, i) => (i == null ? '' : labels[i] || '') },
        { label: 'wins', stroke: COLORS.buys, fill: 'rgba(47,179,107,.45)', paths: uPlot.paths.bars({ size: [0.3, 30], align: -1 }) },
        { label: 'losses', stroke: COLORS.sells, fill: 'rgba(224,82,77,.45)', paths: uPlot.paths.bars({ size: [0.3, 30], align: 1 }) },
        { label: 'mean return', stroke: COLORS.win, scale: 'ret', width: 0, points: { show: true, size: 7, fill: COLORS.win }, value: (u, x) => pct(x) }],
      axes: [{ ...axisStyle, splits: () => br.map((_, i) => i), values: (u, s) => s.map((i) => labels[i] || ''), rotate: 0, size: 40 },
        axisStyle, { ...axisStyle, scale: 'ret', side: 1, grid: { show: false }, values: (u, s) => s.map((x) => pct(x, 1)) }],
    }, [br.map((_, i) => i), br.map((r) => r.wins), br.map((r) => r.losses), br.map((r) => r.meanReturn)]);
    rows($('#by-regime tbody'), br, (r) => `<tr><td>${esc(r.horizon)}</td><td class="l">${regimeCell(r.regime)}</td><td>${r.trades}</td><td>${r.wins}</td><td>${r.losses}</td><td>${pct(r.trades ? r.wins / r.trades : NaN, 0)}</td><td>${signed(r.pnl, num(r.pnl))}</td><td>${signed(r.meanReturn, pct(r.meanReturn))}</td></tr>`);

    const rg = ch.regimes;
    const byTrades = rg.source === 'trades';
    $('#regime-note').textContent = byTrades
      ? 'regime of each traded coin at its entry (+1 bull, 0 flat, −1 bear); the backtest files hold no per-minute regimes'
      : `market breadth (share of bull coins − share of bear coins) and ${rg.market || 'the selected coin'} (+1 bull, 0 flat, −1 bear)`;
    for (const h of HORIZONS) {
      const series = [{}, { label: byTrades ? 'at entry' : 'breadth', stroke: COLORS.breadth, width: byTrades ? 0 : 1.5, points: { show: byTrades, size: 5 }, fill: byTrades ? undefined : 'rgba(77,163,255,.15)', paths: byTrades ? undefined : uPlot.paths.stepped({ align: 1 }), value: (u, x) => num(x, 2) }];
      const data = [secs(rg.ts), rg.breadth[h] || []];
      if (!byTrades && rg.market) {
        series.push({ label: rg.market, stroke: COLORS.coin, width: 1.5, paths: uPlot.paths.stepped({ align: 1 }), value: (u, x) => (x === 1 ? 'bull' : x === -1 ? 'bear' : x === 0 ? 'flat' : '—') });
        data.push(rg.coin[h] || []);
      }
      plot(`regime-${h}`, $(`#chart-regime-${h}`), { series, scales: { y: { range: [-1.1, 1.1] } }, axes: [axisStyle, { ...axisStyle, size: 40 }], legend: { show: true } }, data);
    }

    const coin = ch.coin;
    $('#coin-panel').style.display = v.markets.length || coin ? '' : 'none';
    const sel = $('#coin-select');
    const options = v.markets.map((m) => `<option${coin && m === coin.market ? ' selected' : ''}>${esc(m)}</option>`).join('');
    if (sel.dataset.options !== options) {
      sel.innerHTML = options;
      sel.dataset.options = options;
    }
    if (coin) {
      const series = [{}, { label: 'price', stroke: COLORS.price, width: 1.5, value: (u, x) => num(x) }];
      const data = [secs(coin.ts), coin.price];
      for (const w of Object.keys(coin.averages)) {
        series.push({ label: `avg ${w}`, stroke: AVG_COLORS[w] || '#888', width: 1, value: (u, x) => num(x) });
        data.push(coin.averages[w]);
      }
      series.push({ label: 'high line', stroke: COLORS.high, dash: [5, 4], value: (u, x) => num(x) }, { label: 'low line', stroke: COLORS.low, dash: [5, 4], value: (u, x) => num(x) });
      data.push(coin.high, coin.low);
      const el = $('#chart-coin');
      if (charts.coin && charts.coin._market !== coin.market) {
        charts.coin.destroy();
        delete charts.coin;
      }
      plot('coin', el, { series, axes: [axisStyle, { ...axisStyle, size: 80 }] }, data);
      if (charts.coin) charts.coin._market = coin.market;
    } else plot('coin', $('#chart-coin'), { series: [{}] }, [[]]);
  }

  // ---- tables ----------------------------------------------------------------------------------
  function drawSummary(v) {
    const s = v.summary || {};
    const cards = [
      ['equity', num(v.exposure.equity || s.finalEquity)],
      ['total return', signed(s.totalReturn, pct(s.totalReturn))],
      ['trades', num(s.trades, 0)],
      ['win rate', pct(s.winRate, 1)],
      ['wins / losses', `${num(s.wins, 0)} / ${num(s.losses, 0)}`],
      ['realized P&L', signed(s.realizedPnl, num(s.realizedPnl))],
      ['max drawdown', pct(s.maxDrawdown)],
      // Two figures, named: the time average (summary.json's `exposure`, the CLI's) and the share invested now.
      ['exposure, time average', pct(s.exposure, 1)],
      [v.kind === 'report' ? 'exposure at the end' : 'exposure now', pct(v.exposure.fraction, 1)],
      ['fees', num(s.feesPaid)],
      ['fills', num(s.fills, 0)],
      ['decisions', Object.entries(v.decisions || s.decisions || {}).map(([k, n]) => `${esc(k)} ${n}`).join(' · ') || '—'],
    ];
    setHtml($('#summary'), cards.map(([k, val]) => `<div class="card"><div class="k">${k}</div><div class="v">${val}</div></div>`).join(''));
  }

  function drawRanking(v) {
    $('#ranking-ts').textContent = v.ranking.ts ? `at ${time(v.ranking.ts)}` : '';
    const sel = ui.coin || (v.charts.coin && v.charts.coin.market);
    rows($('#ranking tbody'), v.ranking.rows, (r) => `<tr data-market="${esc(r.market)}" class="${r.market === sel ? 'selected' : ''}"><td>${r.rank}</td><td class="l">${esc(r.market)}</td><td>${num(r.score, 3)}</td><td>${num(r.price)}</td><td>${signed(r.momentum10m, num(r.momentum10m, 2))}</td><td>${signed(r.momentum1h, num(r.momentum1h, 2))}</td><td>${pct(r.volatility)}</td><td>${num(r.position, 2)}</td><td>${num(r.low)}</td><td>${num(r.high)}</td><td>${num(r.value1h, 0)}</td><td>${num(r.trades1h, 0)}</td>${HORIZONS.map((h) => `<td>${regimeCell(r.regime[h])}</td>`).join('')}</tr>`);
  }

  function drawPositions(v) {
    if (!ui.position || !v.positions.some((p) => p.positionId === ui.position)) {
      const first = v.positions.find((p) => !p.done) || v.positions[0];
      ui.position = first ? first.positionId : undefined;
    }
    rows($('#positions tbody'), v.positions, (p) => `<tr data-position-id="${esc(p.positionId)}" data-state="${esc(p.state)}" class="${p.positionId === ui.position ? 'selected' : ''}"><td class="l">${esc(p.positionId)}</td><td class="l">${esc(p.market)}</td><td class="l"><span class="state-badge">${esc(p.state)}</span></td><td>${num(p.amount)}</td><td>${num(p.entryPrice)}</td><td>${num(p.orderPrice)}</td><td>${p.result ? `${signed(p.result.pnl, num(p.result.pnl))} ${signed(p.result.return, pct(p.result.return))} <span class="muted">${esc(p.result.reason)}</span>` : p.done ? '<span class="muted">nothing bought</span>' : ''}</td></tr>`);
    const p = v.positions.find((x) => x.positionId === ui.position);
    $('#history-of').textContent = p ? `${p.positionId} (${p.market})` : '—';
    rows($('#history tbody'), p ? [...p.history].reverse() : [], (t) => `<tr><td>${time(t.ts)}</td><td class="l">${esc(t.from)}</td><td class="l"><b>${esc(t.event)}</b></td><td class="l">${esc(t.to)}</td><td class="l muted">${esc(t.detail)}</td></tr>`);
    drawStatechart(v, p);
  }

  function drawStatechart(v, p) {
    const box = $('#statechart');
    if (!v.statechart) {
      box.innerHTML = '<div class="empty">no statechart</div>';
      return;
    }
    if (box.dataset.machine !== v.statechart.chart.id) {
      box.innerHTML = v.statechart.svg;
      box.dataset.machine = v.statechart.chart.id;
    }
    const visited = new Set(p ? p.history.flatMap((t) => [t.from, t.to]) : []);
    const taken = new Set(p ? p.history.flatMap((t) => t.transitions) : []);
    const last = p && p.history.length ? p.history[p.history.length - 1] : undefined;
    const lastKeys = new Set(last ? last.transitions : []);
    box.querySelectorAll('g.state').forEach((g) => {
      const id = g.getAttribute('data-state');
      g.classList.toggle('active', !!p && id === p.state);
      g.classList.toggle('visited', visited.has(id));
    });
    box.querySelectorAll('g.edge').forEach((g) => {
      const keys = (g.getAttribute('data-transitions') || '').split('|');
      g.classList.toggle('taken', keys.some((k) => taken.has(k)));
      g.classList.toggle('last', keys.some((k) => lastKeys.has(k)));
    });
    box.dataset.position = p ? p.positionId : '';
    box.dataset.activeState = p ? p.state : '';
  }

  function drawAccount(v) {
    const e = v.exposure;
    $('#exposure').textContent = `equity ${num(e.equity)} ${v.quote} · invested ${num(e.invested)} · exposure ${pct(e.fraction, 1)}`;
    rows($('#balances tbody'), v.balances, (b) => `<tr><td>${esc(b.currency)}</td><td>${num(b.free)}</td><td>${num(b.locked)}</td><td>${num(b.value)}</td></tr>`);
    const health = [['exchange', v.health.exchange], ['redis', v.health.redis]];
    if (v.kind === 'live') health.push(['dashboard', { status: ui.ws && ui.ws.readyState === 1 ? 'ok' : 'down', reason: 'websocket to this page' }]);
    setHtml($('#health tbody'), health.map(([k, h]) => `<tr><td class="l">${k}</td><td class="l"><b class="${h.status === 'ok' || h.status === 'open' ? 'pos' : h.status === 'degraded' || h.status === 'down' || h.status === 'failed' ? 'neg' : ''}">${esc(h.status)}</b></td><td class="l muted">${esc(h.reason || '')}${h.ts ? ` · ${time(h.ts)}` : ''}</td></tr>`).join(''));
    setHtml($('#notes'), (v.notes || []).map((n) => `<p>${esc(n)}</p>`).join(''));
    rows($('#orders tbody'), v.orders, (o) => `<tr><td>${time(o.ts)}</td><td class="l">${esc(o.type)}</td><td class="l">${esc(o.clientId)}</td><td class="l">${esc(o.market)}</td><td class="l">${esc(o.side)}</td><td>${num(o.price)}</td><td>${num(o.amount)}</td><td>${num(o.filled)}</td><td class="l">${esc(o.status)}</td><td class="l muted">${esc(o.detail)}</td></tr>`);
    rows($('#fills tbody'), v.fills, (f) => `<tr><td>${time(f.ts)}</td><td class="l">${esc(f.clientId)}</td><td class="l">${esc(f.market)}</td><td class="l ${f.side === 'buy' ? 'pos' : 'neg'}">${esc(f.side)}</td><td>${num(f.price)}</td><td>${num(f.amount)}</td><td>${num(f.fee)}</td></tr>`);
    rows($('#trades tbody'), v.trades, (t) => `<tr><td class="l">${esc(t.positionId)}</td><td class="l">${esc(t.market)}</td><td>${time(t.closedTs)}</td><td>${signed(t.pnl, num(t.pnl))}</td><td>${signed(t.return, pct(t.return))}</td><td class="l">${esc(t.reason)}</td><td class="l">${HORIZONS.map((h) => regimeCell(t.regime[h])).join(' ')}</td></tr>`);
  }

  function drawHeader(v) {
    document.title = `${v.title} — coinrx`;
    $('#title').textContent = v.title;
    $('#mode').textContent = v.kind === 'report' ? `${v.mode} report` : v.mode;
    const b = $('#bot-state');
    b.textContent = v.bot.state;
    b.className = `state-badge state-${v.bot.state}`;
    $('#stop-reason').textContent = v.bot.stopReason || '';
    $('#now').textContent = time(v.now);
    // A report has no ranking and no transition histories (the run files do not hold them): left out, not shown empty.
    const report = v.kind === 'report';
    $('#ranking-panel').style.display = report && v.ranking.rows.length === 0 ? 'none' : '';
    $('#history-block').style.display = report && !v.positions.some((p) => p.history.length > 0) ? 'none' : '';
    const controls = $('#controls');
    controls.style.display = v.kind === 'live' ? '' : 'none';
    controls.title = v.controls.enabled ? '' : v.controls.reason;
    const st = v.bot.state;
    // A replay that ran out of data cannot start again: say so instead of offering Start.
    const ended = v.bot.stopReason === 'end of data';
    $('#btn-start').disabled = !v.controls.enabled || ended || !(st === 'stopped' || st === 'paused');
    $('#btn-start').title = ended ? 'end of data' : '';
    $('#btn-start').textContent = st === 'paused' ? 'Resume' : 'Start';
    if (ended) $('#control-message').textContent = 'end of data';
    $('#btn-pause').disabled = !v.controls.enabled || st !== 'running';
    $('#btn-stop').disabled = !v.controls.enabled || !(st === 'running' || st === 'paused');
  }

  function render(v) {
    ui.view = v;
    ui.updates++;
    drawHeader(v);
    drawSummary(v);
    drawRanking(v);
    drawPositions(v);
    drawAccount(v);
    drawCharts(v);
    document.body.dataset.updates = String(ui.updates);
  }

  // ---- interaction -----------------------------------------------------------------------------
  function selectCoin(market) {
    ui.coin = market;
    if (ui.ws && ui.ws.readyState === 1) ui.ws.send(JSON.stringify({ type: 'select', coin: market }));
  }
  document.addEventListener('click', (e) => {
    const rankRow = e.target.closest('#ranking tbody tr[data-market]');
    if (rankRow) selectCoin(rankRow.getAttribute('data-market'));
    const posRow = e.target.closest('#positions tbody tr[data-position-id]');
    if (posRow && ui.view) {
      ui.position = posRow.getAttribute('data-position-id');
      drawPositions(ui.view);
    }
    const button = e.target.closest('#controls button[data-action]');
    if (button && ui.ws) {
      const action = button.getAttribute('data-action');
      if (action === 'stop' && !window.confirm('Stop the bot? Open buys are cancelled.')) return;
      ui.ws.send(JSON.stringify({ type: 'control', action }));
    }
  });
  $('#coin-select').addEventListener('change', (e) => selectCoin(e.target.value));
  window.addEventListener('resize', () => {
    for (const c of Object.values(charts)) {
      const el = c.root.parentElement;
      c.setSize({ width: chartWidth(el), height: c.height });
    }
  });

  // ---- data source -----------------------------------------------------------------------------
  const embedded = document.getElementById('coinrx-data');
  if (embedded) {
    $('#connection').textContent = 'static report';
    render(JSON.parse(embedded.textContent));
    return;
  }
  function connect() {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    ui.ws = ws;
    ws.onopen = () => {
      $('#connection').textContent = 'connected';
      if (ui.coin) ws.send(JSON.stringify({ type: 'select', coin: ui.coin }));
    };
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'view' && msg.view) {
        try {
          render(msg.view);
        } finally {
          ws.send('{"type":"ack"}');
        }
      }
      else if (msg.type === 'control-result') $('#control-message').textContent = msg.message;
    };
    ws.onclose = () => {
      $('#connection').textContent = 'disconnected — retrying';
      setTimeout(connect, 1000);
    };
  }
  connect();
})();
