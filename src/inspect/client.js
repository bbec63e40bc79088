// The inspector page's script: inlined into every page, no network, works from file://.
// It reads the page data (JSON in #inspector-data) and only ever writes text with
// textContent, so nothing from a model or a trace is parsed as HTML.
/* global document, window, history, location, URLSearchParams, ResizeObserver */
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('inspector-data').textContent);
  const svg = document.querySelector('#canvas svg');
  const canvas = document.getElementById('canvas');
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };
  const SVGNS = 'http://www.w3.org/2000/svg';
  const svgEl = (tag, attributes, text) => {
    const node = document.createElementNS(SVGNS, tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  // The header's height decides the room left for the chart.
  document.body.style.setProperty(
    '--top',
    `${document.querySelector('header').offsetHeight + document.querySelector('.toolbar').offsetHeight}px`,
  );

  // Elements by state id and by transition label. A folded arrow (`event ×n`) stands for
  // every label in its data-edges.
  const stateEls = new Map();
  for (const node of svg.querySelectorAll('[data-state]')) {
    stateEls.set(node.getAttribute('data-state'), node);
  }
  const edgeEls = new Map();
  for (const node of svg.querySelectorAll('[data-edge]')) {
    const labels = node.hasAttribute('data-edges')
      ? JSON.parse(node.getAttribute('data-edges'))
      : [node.getAttribute('data-edge')];
    for (const label of labels) {
      if (!edgeEls.has(label)) edgeEls.set(label, []);
      edgeEls.get(label).push(node);
    }
  }
  const transitionByLabel = new Map(data.transitions.map((t) => [t.label, t]));
  const stateById = new Map(data.states.map((s) => [s.id, s]));
  const leafIds = new Set(data.states.map((s) => s.id));
  for (const s of data.states) if (s.parent) leafIds.delete(s.parent);

  const view = { mode: 'structure', coverage: 0, trace: 0, step: 0 };

  /* ---------- cited source lines ---------- */
  const excerptNodes = (citation, open) => {
    const nodes = [];
    for (const excerpt of data.sources[citation] || []) {
      const details = el('details', undefined, 'cite');
      if (open) details.open = true;
      const range =
        excerpt.from === excerpt.to ? `${excerpt.from}` : `${excerpt.from}-${excerpt.to}`;
      details.append(el('summary', `${excerpt.file}:${range}`));
      const pre = el('pre', undefined, 'source');
      excerpt.lines.forEach((text, i) => {
        const n = excerpt.start + i;
        const line = n >= excerpt.from && n <= excerpt.to ? el('mark') : el('span');
        line.append(el('span', String(n), 'ln'), document.createTextNode(text));
        pre.append(line, document.createTextNode('\n'));
      });
      details.append(pre);
      nodes.push(details);
    }
    return nodes;
  };

  /* ---------- zoom and pan (the viewBox) ---------- */
  const full = svg.viewBox.baseVal;
  const chart = { width: full.width, height: full.height };
  let box = { x: 0, y: 0, w: chart.width, h: chart.height };
  // While true the chart is refitted whenever the canvas changes size (the sequence chart or
  // the panel appears); any zoom or pan by the user ends it until "fit".
  let autoFit = true;
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  const applyBox = () => svg.setAttribute('viewBox', `${box.x} ${box.y} ${box.w} ${box.h}`);
  // The whole chart, but never magnified beyond 1.5x (a small chart would look bloated).
  const fit = () => {
    const rect = svg.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return;
    const scale = Math.min(rect.width / chart.width, rect.height / chart.height, 1.5);
    const w = rect.width / scale;
    const h = rect.height / scale;
    box = { x: (chart.width - w) / 2, y: (chart.height - h) / 2, w, h };
    autoFit = true;
    applyBox();
  };
  const zoomTo = (element) => {
    const b = element.getBBox();
    const rect = svg.getBoundingClientRect();
    const scale = Math.min(rect.width / (b.width + 40), rect.height / (b.height + 40), 1.5);
    const w = rect.width / scale;
    const h = rect.height / scale;
    box = { x: b.x + b.width / 2 - w / 2, y: b.y + b.height / 2 - h / 2, w, h };
    autoFit = false;
    applyBox();
  };
  /** Zooms to what a step lights up, at a readable scale where it fits (follow mode). */
  const zoomToAll = (elements) => {
    if (elements.length === 0) return;
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
    const rect = svg.getBoundingClientRect();
    const scale = Math.min(rect.width / (x2 - x1 + 80), rect.height / (y2 - y1 + 80), 1.2);
    const w = rect.width / scale;
    const h = rect.height / scale;
    box = { x: (x1 + x2) / 2 - w / 2, y: (y1 + y2) / 2 - h / 2, w, h };
    autoFit = false;
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
    autoFit = false;
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
    drag = {
      start: toSvg(event.clientX, event.clientY),
      moved: false,
      x: event.clientX,
      y: event.clientY,
    };
    svg.setPointerCapture(event.pointerId);
    svg.classList.add('dragging');
  });
  svg.addEventListener('pointermove', (event) => {
    if (!drag) return;
    if (Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) > 3) drag.moved = true;
    if (!drag.moved) return;
    const now = toSvg(event.clientX, event.clientY);
    box.x -= now.x - drag.start.x;
    box.y -= now.y - drag.start.y;
    autoFit = false;
    applyBox();
  });
  const endDrag = (event) => {
    const clicked = drag && !drag.moved;
    drag = null;
    svg.classList.remove('dragging');
    if (clicked && event.type === 'pointerup') {
      // Pointer capture retargets the event: find what is under the pointer.
      const target = document.elementFromPoint(event.clientX, event.clientY);
      select(target && target.closest ? target.closest('[data-edge], [data-state]') : null);
    }
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  // Double-click a state: zoom to it; the background: fit.
  svg.addEventListener('dblclick', (event) => {
    const target = event.target.closest('[data-state]');
    if (!target || target.getAttribute('data-state') === data.states[0].id) return fit();
    zoomTo(target);
  });
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
  $('toggle-panel').onclick = () => document.body.classList.toggle('panel-hidden');
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => {
      if (autoFit) fit();
      drawSequence();
    }).observe(canvas);
  }

  /**
   * Keeps the given elements in view (trace stepping on a zoomed chart): pans to their centre
   * when any is outside the visible box, and zooms out when they do not fit in it.
   */
  const reveal = (elements) => {
    if (elements.length === 0) return;
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
    // The visible part of the viewBox (preserveAspectRatio meet shows more on one side).
    const rect = svg.getBoundingClientRect();
    const scale = Math.min(rect.width / box.w, rect.height / box.h);
    const visible = {
      w: rect.width / scale,
      h: rect.height / scale,
    };
    visible.x = box.x + (box.w - visible.w) / 2;
    visible.y = box.y + (box.h - visible.h) / 2;
    const margin = 10;
    if (
      x1 >= visible.x + margin &&
      y1 >= visible.y + margin &&
      x2 <= visible.x + visible.w - margin &&
      y2 <= visible.y + visible.h - margin
    )
      return;
    const need = Math.max(
      (x2 - x1 + 4 * margin) / visible.w,
      (y2 - y1 + 4 * margin) / visible.h,
      1,
    );
    const w = box.w * need;
    const h = box.h * need;
    box = { x: (x1 + x2) / 2 - w / 2, y: (y1 + y2) / 2 - h / 2, w, h };
    applyBox();
  };

  /* ---------- selection: what a state or transition is, and the source it cites ---------- */
  const select = (element) => {
    for (const node of svg.querySelectorAll('.selected')) node.classList.remove('selected');
    const panel = $('selection');
    if (!element) return void (panel.hidden = true);
    element.classList.add('selected');
    const body = $('selection-body');
    body.replaceChildren();
    if (element.hasAttribute('data-state')) {
      const state = stateById.get(element.getAttribute('data-state'));
      $('selection-title').textContent = `state ${state.id}`;
      body.append(el('p', `${state.kind}${state.description ? ': ' + state.description : ''}`));
      if (state.cites)
        body.append(el('p', state.cites, 'help'), ...excerptNodes(state.cites, true));
    } else {
      const labels = element.hasAttribute('data-edges')
        ? JSON.parse(element.getAttribute('data-edges'))
        : [element.getAttribute('data-edge')];
      $('selection-title').textContent =
        labels.length > 1 ? `${labels.length} folded transitions` : 'transition';
      for (const label of labels) body.append(...transitionDetails(transitionByLabel.get(label)));
    }
    panel.hidden = false;
    document.body.classList.remove('panel-hidden');
  };
  const transitionDetails = (t) => {
    const nodes = [el('h2', t.text)];
    const lines = [t.label];
    if (t.description) lines.push(t.description);
    if (t.guard) lines.push(`guard: ${t.guard}`);
    if (t.actions.length) lines.push(`actions: ${t.actions.join(', ')}`);
    if (t.targets.length) lines.push(`→ ${t.targets.join(', ')}`);
    lines.push(`lane: ${data.lanes[t.lane] ? data.lanes[t.lane].name : '?'}`);
    nodes.push(el('pre', lines.join('\n')));
    if (t.cites) nodes.push(...excerptNodes(t.cites, true));
    return nodes;
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
    // A folded arrow is hit when any of its transitions is; its colour is their sum.
    const elementHits = new Map();
    for (const [label, nodes] of edgeEls) {
      for (const node of nodes) {
        elementHits.set(node, (elementHits.get(node) || 0) + (set.transitions[label] || 0));
      }
    }
    for (const [node, hits] of elementHits) {
      node.classList.add(hits === 0 ? 'cov-zero' : 'cov-hit');
      if (hits > 0) {
        const c = colour(hits, maxEdge).stroke;
        const line = node.querySelector('path.line');
        if (line) line.style.stroke = c;
        else node.style.fill = c;
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

  /* ---------- traces: steps rebuilt from the compact page data ---------- */
  const eventTitle = (event) => {
    if (event === null || event === undefined) return 'initial';
    const fields = Object.entries(event)
      .filter(([key]) => key !== 'type')
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
    return fields.length ? `${event.type}(${fields.join(', ')})` : String(event.type);
  };
  const stepCount = (trace) => trace.events.length + 1;
  /** The whole context at a step: the nearest checkpoint, then the changes after it. */
  const contextAt = (trace, step) => {
    let base = step;
    while (!(base in trace.checkpoints)) base--;
    let context = trace.checkpoints[base];
    for (let i = base + 1; i <= step; i++) {
      for (const change of trace.changes[i]) {
        if (change[0] === '') context = change[1];
        else {
          context = Object.assign({}, context);
          if (change.length === 1) delete context[change[0]];
          else context[change[0]] = change[1];
        }
      }
    }
    return context;
  };
  const takenAt = (trace, step) => (step === 0 ? [] : trace.taken[step - 1]);
  /**
   * The lanes a step involves, the one that took the event first: the others follow it
   * (eventless transitions that react to it, or a second region taking the same event).
   */
  const lanesAt = (trace, step) => {
    const taken = takenAt(trace, step).map((t) => data.transitions[t]);
    const ordered = [
      ...taken.filter((t) => t.event !== 'always'),
      ...taken.filter((t) => t.event === 'always'),
    ];
    const lanes = [];
    for (const t of ordered) if (!lanes.includes(t.lane)) lanes.push(t.lane);
    return lanes;
  };
  const stepCitations = (trace, step) => {
    const citations = [];
    for (const t of takenAt(trace, step)) {
      const transition = data.transitions[t];
      if (transition.cites) citations.push(transition.cites);
      for (const target of transition.targets) {
        const state = stateById.get(target);
        if (state && state.cites) citations.push(state.cites);
      }
    }
    return [...new Set(citations)];
  };

  const showTrace = () => {
    const trace = data.traces[view.trace];
    if (!trace) return;
    const count = stepCount(trace);
    view.step = Math.min(Math.max(view.step, 0), count - 1);
    const step = view.step;
    const configuration = trace.configurations[trace.configs[step]];
    const lit = [];
    for (const index of configuration.active) {
      const id = data.states[index].id;
      const node = stateEls.get(id);
      if (node) {
        node.classList.add('active');
        if (leafIds.has(id)) lit.push(node);
      }
    }
    const taken = takenAt(trace, step);
    for (const t of taken) {
      for (const node of edgeEls.get(data.transitions[t].label) || []) {
        node.classList.add('taken');
        const line = node.querySelector('path.line');
        if (line) line.setAttribute('marker-end', 'url(#arrow-taken)');
        lit.push(node);
      }
    }
    if ($('follow').checked) zoomToAll(lit);
    else reveal(lit);
    $('trace-description').textContent = trace.description;
    $('trace-violation').textContent = trace.violation ? `violation: ${trace.violation}` : '';
    const property = trace.property && data.properties.find((p) => p.name === trace.property);
    $('trace-property-source').replaceChildren(
      ...(property ? excerptNodes(property.source, false) : []),
    );
    $('step-counter').textContent = `step ${step} / ${count - 1}`;
    const event = step === 0 ? null : trace.events[step - 1];
    const clock = trace.times ? ` (t=${trace.times[step]})` : '';
    $('step-title').textContent = `${step}. ${eventTitle(event)}${clock}`;
    $('step-value').textContent = configuration.value;
    $('step-event').textContent =
      event === null ? '(initial state)' : JSON.stringify(event, null, 1);
    const outputs = trace.outputs[step] || [];
    $('step-outputs').textContent = outputs.length
      ? outputs.map((o) => JSON.stringify(o)).join('\n')
      : '(none)';
    $('step-taken').textContent = taken.length
      ? taken.map((t) => `${data.transitions[t].label}  (${data.transitions[t].text})`).join('\n')
      : '(none)';
    const sources = stepCitations(trace, step);
    if (trace.violation && step === count - 1 && property) sources.push(property.source);
    $('step-source').replaceChildren(...sources.flatMap((c) => excerptNodes(c, true)));
    const context = contextAt(trace, step);
    const before = step === 0 ? undefined : contextAt(trace, step - 1);
    const changes = $('step-changes');
    changes.replaceChildren();
    for (const change of trace.changes[step]) {
      const key = change[0];
      const from = key === '' ? before : before && before[key];
      const to = change.length === 1 ? undefined : change[1];
      const row = el('tr');
      row.append(
        el('td', key || '(context)'),
        el('td', from === undefined ? '(none)' : JSON.stringify(from), 'from'),
        el('td', '→'),
        el('td', to === undefined ? '(none)' : JSON.stringify(to), 'to'),
      );
      changes.append(row);
    }
    if (trace.changes[step].length === 0) {
      const row = el('tr');
      row.append(el('td', step === 0 ? '(initial context below)' : '(no change)'));
      changes.append(row);
    }
    $('step-context').textContent = JSON.stringify(context, null, 1);
    $('prev').disabled = step === 0;
    $('next').disabled = step === count - 1;
    drawSequence(true);
  };

  /* ---------- the sequence chart: one lane per execution context, and the device ---------- */
  const ROW = 26;
  const STEP_COLUMN = 64;
  const seqScroll = $('sequence-scroll');
  const seqSpacer = $('sequence-spacer');
  let seqSvg = null;
  const laneGeometry = () => {
    const width = Math.max(seqScroll.clientWidth - STEP_COLUMN, 0);
    const laneWidth = Math.max(150, width / Math.max(data.lanes.length, 1));
    return { laneWidth, total: STEP_COLUMN + laneWidth * data.lanes.length };
  };
  const centre = (lane, g) => STEP_COLUMN + g.laneWidth * lane + g.laneWidth / 2;
  const truncate = (text, width) => {
    const max = Math.max(4, Math.floor(width / 6.9));
    return text.length > max ? text.slice(0, max - 1) + '…' : text;
  };
  seqScroll.addEventListener('scroll', () => {
    $('sequence-head').scrollLeft = seqScroll.scrollLeft;
    drawSequence(false);
  });
  seqScroll.addEventListener('click', (event) => {
    const row = event.target.closest && event.target.closest('[data-step]');
    if (row) go({ step: Number(row.getAttribute('data-step')) });
  });

  /** Draws the rows in view (a 10^5-step trace has 10^5 rows: only ~40 exist at a time). */
  function drawSequence(follow) {
    if (view.mode !== 'trace') return;
    const trace = data.traces[view.trace];
    if (!trace) return;
    const count = stepCount(trace) + (trace.violation ? 1 : 0);
    const g = laneGeometry();
    seqSpacer.style.height = `${count * ROW + 8}px`;
    seqSpacer.style.width = `${g.total}px`;
    const head = $('sequence-head');
    if (head.dataset.width !== String(g.total) || head.childElementCount !== data.lanes.length) {
      head.replaceChildren();
      head.dataset.width = String(g.total);
      data.lanes.forEach((lane, i) => {
        const span = el('span', lane.name, lane.device ? 'device' : '');
        span.style.left = `${STEP_COLUMN + g.laneWidth * i - seqScroll.scrollLeft}px`;
        span.style.width = `${g.laneWidth}px`;
        span.title = lane.name;
        head.append(span);
      });
    } else {
      data.lanes.forEach((lane, i) => {
        head.children[i].style.left = `${STEP_COLUMN + g.laneWidth * i - seqScroll.scrollLeft}px`;
      });
    }
    if (follow) {
      // The current row in view, and the violation's row with the last step.
      const top = view.step * ROW;
      const bottom = Math.min(view.step + 2, count) * ROW;
      if (top < seqScroll.scrollTop || bottom > seqScroll.scrollTop + seqScroll.clientHeight) {
        // Centred, but never so low that the violation's row falls out below.
        const height = seqScroll.clientHeight;
        seqScroll.scrollTop = Math.max(
          0,
          Math.min(Math.max(top - height / 2, bottom - height), top),
        );
      }
    }
    const first = Math.max(0, Math.floor(seqScroll.scrollTop / ROW) - 4);
    const last = Math.min(
      count - 1,
      Math.ceil((seqScroll.scrollTop + seqScroll.clientHeight) / ROW) + 4,
    );
    const root = svgEl('svg', {
      width: String(g.total),
      height: String((last - first + 1) * ROW),
      style: `top:${first * ROW}px`,
      role: 'img',
    });
    for (let lane = 0; lane < data.lanes.length; lane++) {
      const x = centre(lane, g);
      root.append(
        svgEl('line', { class: 'lifeline', x1: x, x2: x, y1: 0, y2: (last - first + 1) * ROW }),
      );
    }
    for (let step = first; step <= last; step++) {
      const y = (step - first) * ROW;
      const row = svgEl('g', { 'data-step': String(Math.min(step, stepCount(trace) - 1)) });
      row.append(
        svgEl('rect', {
          class: `row-band${step === view.step ? ' current' : ''}`,
          x: 0,
          y,
          width: g.total,
          height: ROW,
        }),
      );
      if (step === stepCount(trace)) {
        // The row after the last step: the violation.
        row.append(
          svgEl(
            'text',
            { class: 'violation-text', x: STEP_COLUMN, y: y + 17 },
            `✗ ${trace.violation}`,
          ),
        );
        root.append(row);
        continue;
      }
      // The step number, and on timed models the clock after the step.
      row.append(
        svgEl(
          'text',
          { class: 'step-no', x: 4, y: y + 17 },
          trace.times ? `${step} t${trace.times[step]}` : String(step),
        ),
      );
      const configuration = trace.configurations[trace.configs[step]];
      const previous = step === 0 ? null : trace.configurations[trace.configs[step - 1]];
      const lanes = step === 0 ? [] : lanesAt(trace, step);
      const isViolation = trace.violation && step === stepCount(trace) - 1;
      const title = eventTitle(step === 0 ? null : trace.events[step - 1]);
      const outputs = (trace.outputs[step] || []).map(eventTitle);
      lanes.forEach((lane, i) => {
        const x = centre(lane, g);
        const state = configuration.lanes[lane];
        const moved =
          previous && state !== null && previous.lanes[lane] !== state ? ` → ${state}` : '';
        const text =
          (i === 0 ? title : '↳ ' + (trace.events[step - 1].type || '')) +
          moved +
          (i === 0 && outputs.length ? ` ⇒ ${outputs.join(', ')}` : '');
        const width = g.laneWidth - 12;
        const classes = ['box'];
        if (data.lanes[lane].device) classes.push('device');
        if (step === view.step) classes.push('current');
        if (isViolation && i === 0) classes.push('violation');
        const group = svgEl('g', { class: classes.join(' '), 'data-lane': String(lane) });
        group.append(
          svgEl(
            'title',
            {},
            `${step}. ${title}${moved}${outputs.length ? '\noutputs: ' + outputs.join(', ') : ''}\nlane: ${data.lanes[lane].name}`,
          ),
          svgEl('rect', { x: x - width / 2, y: y + 3, width, height: ROW - 6, rx: 4 }),
          svgEl('text', { x: x - width / 2 + 5, y: y + 17 }, truncate(text, width - 8)),
        );
        row.append(group);
        if (i > 0) {
          // The same step in another lane: an arrow from where it started.
          const from = centre(lanes[0], g);
          const towards = x > from ? x - width / 2 : x + width / 2;
          const start = x > from ? from + width / 2 : from - width / 2;
          row.append(
            svgEl('path', {
              class: 'sync',
              d: `M${start},${y + ROW / 2} L${towards},${y + ROW / 2}`,
              'marker-end': 'url(#seq-arrow)',
            }),
          );
        }
      });
      if (step === 0) {
        configuration.lanes.forEach((state, lane) => {
          if (state === null) return;
          row.append(
            svgEl('text', { class: 'lane-state', x: centre(lane, g) + 4, y: y + 17 }, state),
          );
        });
      }
      root.append(row);
    }
    const defs = svgEl('defs');
    const marker = svgEl('marker', {
      id: 'seq-arrow',
      markerWidth: '8',
      markerHeight: '8',
      refX: '7',
      refY: '4',
      orient: 'auto',
      markerUnits: 'userSpaceOnUse',
    });
    marker.append(svgEl('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#546e7a' }));
    defs.append(marker);
    root.prepend(defs);
    if (seqSvg) seqSvg.remove();
    seqSvg = root;
    seqScroll.append(root);
  }

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
    const modeChanged = document.body.dataset.mode !== view.mode;
    document.body.dataset.mode = view.mode;
    for (const button of document.querySelectorAll('[data-mode-button]')) {
      button.classList.toggle('selected', button.dataset.modeButton === view.mode);
    }
    $('coverage-select').value = String(view.coverage);
    $('trace-select').value = String(view.trace);
    // The sequence chart takes room from the chart: refit before revealing the step.
    if (modeChanged && autoFit) fit();
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
  $('follow').onchange = (event) => {
    event.target.blur(); // the arrow keys step again
    if (event.target.checked) render();
    else fit();
  };
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
  document.body.dataset.mode = readModeFromHash();
  fit();
  readHash();
  document.body.dataset.ready = 'true';

  /** The mode the hash asks for, set before the first fit so that it fits the right room. */
  function readModeFromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    const mode = params.get('mode') || (params.get('trace') ? 'trace' : 'structure');
    return ['structure', 'coverage', 'trace'].includes(mode) ? mode : 'structure';
  }
})();
