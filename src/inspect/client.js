// The inspector page's script: inlined into every page, no network, works from file://.
// It reads the page data (JSON in #inspector-data) and only ever writes text with
// textContent, so nothing from a model or a trace is parsed as HTML.
/* global document, window, history, location, URLSearchParams */
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('inspector-data').textContent);
  const svg = document.querySelector('#canvas svg');
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };

  // Elements by state id and by transition label (an arrow per target, or a row).
  const stateEls = new Map();
  for (const node of svg.querySelectorAll('[data-state]')) {
    stateEls.set(node.getAttribute('data-state'), node);
  }
  const edgeEls = new Map();
  for (const node of svg.querySelectorAll('[data-edge]')) {
    const label = node.getAttribute('data-edge');
    if (!edgeEls.has(label)) edgeEls.set(label, []);
    edgeEls.get(label).push(node);
  }
  const transitionText = new Map(data.transitions.map((t) => [t.label, t.text]));

  const view = { mode: 'structure', coverage: 0, trace: 0, step: 0 };

  /* ---------- zoom and pan (the viewBox) ---------- */
  const full = svg.viewBox.baseVal;
  const chart = { width: full.width, height: full.height };
  let box = { x: 0, y: 0, w: chart.width, h: chart.height };
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  const applyBox = () => svg.setAttribute('viewBox', `${box.x} ${box.y} ${box.w} ${box.h}`);
  const canvasScale = () => {
    const rect = svg.getBoundingClientRect();
    return Math.min(rect.width / chart.width, rect.height / chart.height);
  };
  // The whole chart, but never magnified beyond 1.5x (a small chart would look bloated).
  const fit = () => {
    const rect = svg.getBoundingClientRect();
    const scale = Math.min(canvasScale(), 1.5);
    const w = rect.width / scale;
    const h = rect.height / scale;
    box = { x: (chart.width - w) / 2, y: (chart.height - h) / 2, w, h };
    applyBox();
  };
  // Big charts open at a readable scale on their top-left corner; "fit" shows everything.
  const initialView = () => {
    if (canvasScale() >= 0.6) return fit();
    const rect = svg.getBoundingClientRect();
    box = { x: 0, y: 0, w: rect.width / 0.85, h: rect.height / 0.85 };
    applyBox();
  };
  const zoomTo = (element) => {
    const b = element.getBBox();
    const rect = svg.getBoundingClientRect();
    const scale = Math.min(rect.width / (b.width + 40), rect.height / (b.height + 40), 1.5);
    const w = rect.width / scale;
    const h = rect.height / scale;
    box = { x: b.x + b.width / 2 - w / 2, y: b.y + b.height / 2 - h / 2, w, h };
    applyBox();
  };
  const toSvg = (clientX, clientY) => {
    const point = svg.createSVGPoint();
    point.x = clientX;
    point.y = clientY;
    return point.matrixTransform(svg.getScreenCTM().inverse());
  };
  const zoom = (factor, centre) => {
    const c = centre || { x: box.x + box.w / 2, y: box.y + box.h / 2 };
    const w = Math.min(Math.max(box.w * factor, 40), chart.width * 4);
    const scale = w / box.w;
    box = { x: c.x - (c.x - box.x) * scale, y: c.y - (c.y - box.y) * scale, w, h: box.h * scale };
    applyBox();
  };
  svg.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, toSvg(event.clientX, event.clientY));
    },
    { passive: false },
  );
  let drag = null;
  svg.addEventListener('pointerdown', (event) => {
    drag = { start: toSvg(event.clientX, event.clientY) };
    svg.setPointerCapture(event.pointerId);
    svg.classList.add('dragging');
  });
  svg.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const now = toSvg(event.clientX, event.clientY);
    box.x -= now.x - drag.start.x;
    box.y -= now.y - drag.start.y;
    applyBox();
  });
  const endDrag = () => {
    drag = null;
    svg.classList.remove('dragging');
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  // Double-click a state: zoom to it (for big charts, with the states collapsed above it).
  svg.addEventListener('dblclick', (event) => {
    const target = event.target.closest('[data-state]');
    if (!target) return fit();
    zoomTo(target);
  });
  // "go to state": every state by its path, for charts too big to search by eye.
  const goto = $('goto-state');
  for (const state of data.states) {
    goto.append(new window.Option(state.id.split('.').slice(1).join('.') || state.id, state.id));
  }
  goto.onchange = () => {
    const element = stateEls.get(goto.value);
    if (element) zoomTo(element);
    goto.value = '';
  };
  $('zoom-in').onclick = () => zoom(1 / 1.3);
  $('zoom-out').onclick = () => zoom(1.3);
  $('zoom-fit').onclick = fit;

  /** Pans so that the given elements are in view (trace stepping on a zoomed chart). */
  const reveal = (elements) => {
    if (elements.length === 0 || (box.w >= chart.width && box.h >= chart.height)) return;
    let x1 = Infinity,
      y1 = Infinity,
      x2 = -Infinity,
      y2 = -Infinity;
    for (const element of elements) {
      const b = element.getBBox();
      x1 = Math.min(x1, b.x);
      y1 = Math.min(y1, b.y);
      x2 = Math.max(x2, b.x + b.width);
      y2 = Math.max(y2, b.y + b.height);
    }
    if (x1 >= box.x && y1 >= box.y && x2 <= box.x + box.w && y2 <= box.y + box.h) return;
    box.x = (x1 + x2) / 2 - box.w / 2;
    box.y = (y1 + y2) / 2 - box.h / 2;
    applyBox();
  };

  /* ---------- highlighting ---------- */
  const clear = () => {
    for (const node of svg.querySelectorAll('.active, .taken, .cov-zero, .cov-hit')) {
      node.classList.remove('active', 'taken', 'cov-zero', 'cov-hit');
    }
    for (const node of svg.querySelectorAll('[style]')) node.removeAttribute('style');
    for (const path of svg.querySelectorAll('path.line'))
      path.setAttribute('marker-end', 'url(#arrow)');
  };

  const colour = (hits, max) => {
    const t = max <= 0 ? 1 : Math.log(1 + hits) / Math.log(1 + max);
    return {
      fill: `hsl(130, 50%, ${Math.round(92 - 30 * t)}%)`,
      stroke: `hsl(130, 65%, ${Math.round(42 - 20 * t)}%)`,
    };
  };

  const fillList = (list, items) => {
    list.replaceChildren();
    for (const text of items) list.append(el('li', text));
    if (items.length === 0) list.append(el('li', 'none', 'none'));
  };

  const showCoverage = () => {
    const set = data.coverage[view.coverage];
    if (!set) return;
    const maxState = Math.max(0, ...Object.values(set.stateNodes));
    const maxEdge = Math.max(0, ...Object.values(set.transitions));
    for (const [id, node] of stateEls) {
      const hits = set.stateNodes[id] || 0;
      node.classList.add(hits === 0 ? 'cov-zero' : 'cov-hit');
      if (hits > 0) node.querySelector('rect').style.fill = colour(hits, maxState).fill;
    }
    for (const [label, nodes] of edgeEls) {
      const hits = set.transitions[label] || 0;
      for (const node of nodes) {
        node.classList.add(hits === 0 ? 'cov-zero' : 'cov-hit');
        if (hits > 0) {
          const c = colour(hits, maxEdge).stroke;
          const line = node.querySelector('path.line');
          if (line) line.style.stroke = c;
          else node.style.fill = c;
        }
      }
    }
    $('coverage-description').textContent = set.description;
    const neverStates = data.states.filter((s) => !set.stateNodes[s.id]).map((s) => s.id);
    const neverEdges = data.transitions
      .filter((t) => !set.transitions[t.label])
      .map((t) => `${t.label}  (${t.text})`);
    const statesTotal = data.states.length;
    const edgesTotal = data.transitions.length;
    $('coverage-summary').textContent =
      `states ${statesTotal - neverStates.length}/${statesTotal}, transitions ${edgesTotal - neverEdges.length}/${edgesTotal} taken`;
    fillList($('never-states'), neverStates);
    fillList($('never-transitions'), neverEdges);
    const counts = $('hit-counts');
    counts.replaceChildren();
    for (const t of [...data.transitions].sort(
      (a, b) => (set.transitions[a.label] || 0) - (set.transitions[b.label] || 0),
    )) {
      const row = el('tr');
      row.append(
        el('td', String(set.transitions[t.label] || 0), 'num'),
        el('td', t.label),
        el('td', t.text),
      );
      counts.append(row);
    }
  };

  const showTrace = () => {
    const trace = data.traces[view.trace];
    if (!trace) return;
    view.step = Math.min(Math.max(view.step, 0), trace.steps.length - 1);
    const step = trace.steps[view.step];
    const lit = [];
    for (const id of step.active) {
      const node = stateEls.get(id);
      if (node) {
        node.classList.add('active');
        if (!data.states.some((s) => s.parent === id)) lit.push(node);
      }
    }
    for (const label of step.taken) {
      for (const node of edgeEls.get(label) || []) {
        node.classList.add('taken');
        const line = node.querySelector('path.line');
        if (line) line.setAttribute('marker-end', 'url(#arrow-taken)');
        lit.push(node);
      }
    }
    reveal(lit);
    $('trace-description').textContent = trace.description;
    $('trace-violation').textContent = trace.violation ? `violation: ${trace.violation}` : '';
    $('step-counter').textContent = `step ${view.step} / ${trace.steps.length - 1}`;
    $('step-title').textContent = `${view.step}. ${step.title}`;
    $('step-value').textContent = step.value;
    $('step-event').textContent =
      step.event === null ? '(initial state)' : JSON.stringify(step.event, null, 1);
    $('step-outputs').textContent = step.outputs.length
      ? step.outputs.map((o) => JSON.stringify(o)).join('\n')
      : '(none)';
    $('step-taken').textContent = step.taken.length
      ? step.taken.map((label) => `${label}  (${transitionText.get(label) || '?'})`).join('\n')
      : '(none)';
    const changes = $('step-changes');
    changes.replaceChildren();
    for (const change of step.changes) {
      const row = el('tr');
      row.append(
        el('td', change.key),
        el('td', change.from, 'from'),
        el('td', '→'),
        el('td', change.to, 'to'),
      );
      changes.append(row);
    }
    if (step.changes.length === 0) {
      const row = el('tr');
      row.append(el('td', view.step === 0 ? '(initial context below)' : '(no change)'));
      changes.append(row);
    }
    $('step-context').textContent = JSON.stringify(step.context, null, 1);
    const list = $('step-list');
    list.replaceChildren();
    trace.steps.forEach((s, i) => {
      const item = el('li', `${i}. ${s.title}`, i === view.step ? 'current' : '');
      item.dataset.step = String(i);
      item.onclick = () => go({ step: i });
      list.append(item);
    });
    const current = list.querySelector('.current');
    if (current && current.scrollIntoView) current.scrollIntoView({ block: 'nearest' });
    $('prev').disabled = view.step === 0;
    $('next').disabled = view.step === trace.steps.length - 1;
  };

  /* ---------- modes and deep links ---------- */
  const writeHash = () => {
    const params = new URLSearchParams();
    params.set('mode', view.mode);
    if (view.mode === 'coverage' && data.coverage[view.coverage]) {
      params.set('coverage', data.coverage[view.coverage].name);
    }
    if (view.mode === 'trace' && data.traces[view.trace]) {
      params.set('trace', data.traces[view.trace].name);
      params.set('step', String(view.step));
    }
    const hash = '#' + params.toString();
    if (location.hash === hash) return;
    try {
      history.replaceState(null, '', hash);
    } catch {
      location.hash = hash;
    }
  };

  const render = () => {
    clear();
    document.body.dataset.mode = view.mode;
    for (const button of document.querySelectorAll('[data-mode-button]')) {
      button.classList.toggle('selected', button.dataset.modeButton === view.mode);
    }
    $('coverage-select').value = String(view.coverage);
    $('trace-select').value = String(view.trace);
    if (view.mode === 'coverage') showCoverage();
    if (view.mode === 'trace') showTrace();
    writeHash();
  };

  const go = (change) => {
    Object.assign(view, change);
    render();
  };

  const readHash = () => {
    const params = new URLSearchParams(location.hash.slice(1));
    const traceName = params.get('trace');
    const coverageName = params.get('coverage');
    const mode =
      params.get('mode') || (traceName ? 'trace' : coverageName ? 'coverage' : view.mode);
    const change = { mode: ['structure', 'coverage', 'trace'].includes(mode) ? mode : 'structure' };
    if (traceName !== null) {
      const index = data.traces.findIndex((t) => t.name === traceName);
      if (index >= 0) change.trace = index;
    }
    if (coverageName !== null) {
      const index = data.coverage.findIndex((c) => c.name === coverageName);
      if (index >= 0) change.coverage = index;
    }
    const step = Number(params.get('step'));
    if (params.has('step') && Number.isInteger(step)) change.step = step;
    go(change);
  };

  for (const [i, set] of data.coverage.entries())
    $('coverage-select').append(new window.Option(set.name, String(i)));
  for (const [i, trace] of data.traces.entries())
    $('trace-select').append(new window.Option(trace.name, String(i)));
  if (data.coverage.length === 0) $('mode-coverage').disabled = true;
  if (data.traces.length === 0) $('mode-trace').disabled = true;
  for (const button of document.querySelectorAll('[data-mode-button]')) {
    button.onclick = () => go({ mode: button.dataset.modeButton });
  }
  $('coverage-select').onchange = (event) => go({ coverage: Number(event.target.value) });
  $('trace-select').onchange = (event) => go({ trace: Number(event.target.value), step: 0 });
  $('prev').onclick = () => go({ step: view.step - 1 });
  $('next').onclick = () => go({ step: view.step + 1 });
  for (const link of document.querySelectorAll('[data-trace-link]')) {
    link.onclick = (event) => {
      event.preventDefault();
      const index = data.traces.findIndex((t) => t.name === link.dataset.traceLink);
      go({ mode: 'trace', trace: index, step: 0 });
    };
  }
  document.addEventListener('keydown', (event) => {
    if (
      event.target instanceof window.HTMLSelectElement ||
      event.target instanceof window.HTMLInputElement
    )
      return;
    if (view.mode !== 'trace') return;
    if (event.key === 'ArrowRight') go({ step: view.step + 1 });
    else if (event.key === 'ArrowLeft') go({ step: view.step - 1 });
    else if (event.key === 'Home') go({ step: 0 });
    else if (event.key === 'End') go({ step: Infinity });
    else return;
    event.preventDefault();
  });
  window.addEventListener('hashchange', readHash);
  initialView();
  readHash();
  document.body.dataset.ready = 'true';
})();
