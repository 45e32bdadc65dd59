// The finetune dashboard: one plain script, no build step, no library, nothing from another origin.
// It calls the same REST API as the SDKs, with the bearer key the user signs in with. The key lives in
// this tab's sessionStorage only: never in a URL, a cookie or the page's markup.
(function () {
  'use strict';

  const KEY = 'finetune.apiKey';
  const POLL_MS = 1000;
  const TERMINAL = ['STATUS_READY', 'STATUS_FAILED', 'STATUS_CANCELLED', 'STATUS_DELETED'];

  // ------------------------------------------------------------------------------------ DOM helpers

  const $ = (sel, root) => (root || document).querySelector(sel);

  function append(el, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      el.append(k instanceof Node ? k : String(k));
    }
    return el;
  }

  /** An element; attributes by name ("text" sets textContent, "on<event>" adds a listener). Text is never parsed as HTML. */
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    return append(el, kids);
  }

  function svg(tag, attrs, ...kids) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) el.setAttribute(k, String(v));
    }
    return append(el, kids);
  }

  function announce(text) {
    const a = $('#announce');
    a.textContent = '';
    // a change the screen reader notices even when the same text comes twice
    window.setTimeout(() => { a.textContent = text; }, 30);
  }

  function plural(n, word) { return fmtInt(n) + ' ' + word + (n === 1 ? '' : 's'); }
  function fmtInt(n) { return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US'); }
  function fmtNum(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return '—';
    const d = digits === undefined ? 4 : digits;
    return Number(v).toFixed(d);
  }
  function fmtBytes(b) {
    if (b === null || b === undefined) return '—';
    const units = ['bytes', 'KiB', 'MiB', 'GiB'];
    let v = Number(b), i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
  }
  function fmtSeconds(s) {
    if (s === null || s === undefined || !isFinite(s)) return '—';
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + ' s';
    const m = Math.floor(s / 60), r = Math.round(s - m * 60);
    if (m < 60) return m + ' min ' + r + ' s';
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }
  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
  }

  // ---------------------------------------------------------------------------------------- the API

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function key() { return window.sessionStorage.getItem(KEY); }

  async function readReply(r) {
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (!r.ok) {
      const message = json && typeof json.message === 'string' ? json.message : 'HTTP ' + r.status;
      throw new ApiError(r.status, message);
    }
    return json;
  }

  /** One API call with the session's key; a 401 signs the tab out. */
  async function api(method, path, body) {
    const init = { method, headers: { Authorization: 'Bearer ' + key() }, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let r;
    try {
      r = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'the server cannot be reached (' + e.message + ')');
    }
    try {
      return await readReply(r);
    } catch (e) {
      if (e.status === 401) signOut(e.message);
      throw e;
    }
  }

  /** Every page of a paged list. */
  async function allPages(path, field, pageSize) {
    const out = [];
    let token = '';
    const sep = path.includes('?') ? '&' : '?';
    for (let i = 0; i < 1000; i++) {
      const page = await api('GET', path + sep + 'page_size=' + pageSize + (token ? '&page_token=' + encodeURIComponent(token) : ''));
      out.push(...(page[field] || []));
      token = page.next_page_token || '';
      if (!token) break;
    }
    return out;
  }

  /** A multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can). */
  function upload(query, train, evalFile, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/v1/datasets?' + query);
      xhr.setRequestHeader('Authorization', 'Bearer ' + key());
      const total = train.size + (evalFile ? evalFile.size : 0);
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : total);
      xhr.onload = () => {
        let json = null;
        try { json = JSON.parse(xhr.responseText); } catch (e) { json = null; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(json);
        else {
          const err = new ApiError(xhr.status, json && json.message ? json.message : 'HTTP ' + xhr.status);
          if (xhr.status === 401) signOut(err.message);
          reject(err);
        }
      };
      xhr.onerror = () => reject(new ApiError(0, 'the upload was cut off: the server cannot be reached'));
      const form = new FormData();
      form.append('data', train, train.name);
      if (evalFile) form.append('eval_data', evalFile, evalFile.name);
      xhr.send(form);
    });
  }

  // --------------------------------------------------------------------------------- field errors

  /** Shows {@code message} under the control {@code id} (and marks it invalid); an empty message clears it. */
  function setError(id, message) {
    const input = document.getElementById(id);
    const err = document.getElementById(id + '-error');
    if (err) err.textContent = message || '';
    if (input) input.setAttribute('aria-invalid', message ? 'true' : 'false');
  }

  function clearErrors(root) {
    root.querySelectorAll('.error[id$="-error"]').forEach((e) => { e.textContent = ''; });
    root.querySelectorAll('[aria-invalid="true"]').forEach((e) => e.setAttribute('aria-invalid', 'false'));
  }

  /**
   * Puts an API message next to the field it names ("train_epochs: 11 is outside the allowed range ...")
   * when that field is on the page ({@code fields}: wire name -> control id), else into {@code fallbackId}.
   * Returns the control that got it, so the caller can move the focus there.
   */
  function placeError(message, fields, fallbackId) {
    const m = /^([a-z_][a-z0-9_.]*(?:\[\d+\])?(?:\.[a-z_]+)*):\s/.exec(message);
    if (m) {
      const name = m[1].replace(/^(settings\.)?(hyperparameters\.)?/, '').replace(/^base_model\.name$/, 'base_model');
      const id = fields[name];
      if (id && document.getElementById(id)) {
        setError(id, message);
        return document.getElementById(id);
      }
    }
    const f = document.getElementById(fallbackId);
    if (f) f.textContent = message;
    return null;
  }

  function field(id, labelText, control, hint) {
    control.id = id;
    const described = [hint ? id + '-hint' : null, id + '-error'].filter(Boolean).join(' ');
    control.setAttribute('aria-describedby', described);
    return h('div', { class: 'field' },
      h('label', { for: id }, labelText),
      control,
      hint ? h('p', { class: 'hint', id: id + '-hint' }, hint) : null,
      h('p', { class: 'error', id: id + '-error', 'aria-live': 'polite' }));
  }

  // ------------------------------------------------------------------------------------- the types

  const TYPES = {
    chat: {
      title: 'Create a Chat model', baseType: 'BASE_TYPE_CHAT', datasetTypes: ['chat-finetune-input'],
      hint: 'Conversations (System, User and Chatbot messages); the model answers with /v2/chat.',
      format: 'A .jsonl file, one conversation per line: {"messages": [{"role": "System", "content": "..."}, '
        + '{"role": "User", "content": "..."}, {"role": "Chatbot", "content": "..."}]}',
      rules: [
        'The file is JSONL: one JSON object per line, each a conversation with a "messages" list of {"role", "content"}.',
        'Roles are System (only as the first message: the preamble), User and Chatbot.',
        'Every conversation has at least one User and one Chatbot message.',
        'At least 2 valid conversations when no evaluation file is given (a part of them is then split off for evaluation); '
          + 'with an evaluation file, at least 1 valid conversation in each file.',
        'A preamble has at most 2048 tokens; a turn over 16384 tokens is dropped with the turns after it (with a warning).',
      ],
    },
    generative: {
      title: 'Create a Generative model', baseType: 'BASE_TYPE_GENERATIVE', datasetTypes: ['prompt-completion-finetune-input'],
      hint: 'Prompt and completion pairs; the model answers with /v1/generate (with token likelihoods).',
      format: 'A .jsonl file with {"prompt": "...", "completion": "..."} per line, or a .csv file with the header prompt,completion.',
      rules: [
        'The file is JSONL with "prompt" and "completion" on every line, or CSV with a header naming prompt and completion.',
        'Neither field is empty.',
        'At least 32 valid examples.',
      ],
    },
    rerank: {
      title: 'Create a Rerank model', baseType: 'BASE_TYPE_RERANK', datasetTypes: ['reranker-finetune-input'],
      hint: 'Queries with relevant passages and hard negatives; the model answers with /v2/rerank.',
      format: 'A .jsonl file with {"query": "...", "relevant_passages": ["..."], "hard_negatives": ["..."]} per line.',
      rules: [
        'The file is JSONL: "query", a non-empty "relevant_passages" list and an optional "hard_negatives" list on every line.',
        'A passage is not both relevant and a hard negative for the same query.',
        'At least 256 unique queries in the training data.',
        'A query and passage pair over 510 tokens is truncated (with a warning).',
      ],
    },
    classify: {
      title: 'Create a Classify model', baseType: 'BASE_TYPE_CLASSIFICATION',
      datasetTypes: ['single-label-classification-finetune-input', 'multi-label-classification-finetune-input'],
      hint: 'Texts with a label (or several); the model answers with /v1/classify.',
      format: 'A .jsonl file with {"text": "...", "label": "..."} per line (a list of labels for multi-label), or a .csv file '
        + 'with the header text,label.',
      rules: [
        'The file is JSONL with "text" and "label" on every line (multi-label: "label" is a list), or CSV with a header naming text and label.',
        'Neither field is empty.',
        'At least 40 valid examples, at least 2 unique labels, and at least 5 examples of every label.',
      ],
    },
  };
  const HYPERPARAMETERS = [
    // wire name, label, hint (the API's range and default), integer?
    ['train_epochs', 'Epochs', '1 to 10; default 1', true],
    ['learning_rate', 'Learning rate', '0.00005 to 0.1; default 0.01 (a LoRA rate; full fine-tuning wants about 0.0001)', false],
    ['train_batch_size', 'Batch size', '2 to 16; default 16', true],
    ['early_stopping_patience', 'Early stopping patience', '0 to 10 evaluations; default 10 (0 turns early stopping off)', true],
    ['early_stopping_threshold', 'Early stopping threshold', '0.001 to 0.1; default 0.001', false],
    ['lora_rank', 'LoRA rank', '1 to 32; default 8', true],
    ['lora_alpha', 'LoRA alpha', '1 to 128; default 16', true],
    ['seed', 'Seed', 'any whole number; default 0', true],
  ];
  const STEPS = ['Type', 'Upload', 'Data requirements', 'Review data', 'Estimate', 'Name and start'];

  function typeOfDataset(datasetType) {
    return Object.keys(TYPES).find((t) => TYPES[t].datasetTypes.includes(datasetType));
  }
  function typeOfBase(baseType) {
    return Object.keys(TYPES).find((t) => TYPES[t].baseType === baseType);
  }

  // --------------------------------------------------------------------------------- sign in / out

  function signOut(message) {
    window.sessionStorage.removeItem(KEY);
    stopTimers();
    wizardState = null;
    showLogin(message);
  }

  function showLogin(message) {
    $('#nav').hidden = true;
    $('#view').replaceChildren();
    $('#login').hidden = false;
    const input = $('#api-key');
    setError('api-key', message || '');
    input.focus();
  }

  async function signIn(e) {
    e.preventDefault();
    const input = $('#api-key');
    const button = $('#sign-in');
    const k = input.value.trim();
    if (!k) {
      setError('api-key', 'Enter the API key.');
      input.focus();
      return;
    }
    button.disabled = true;
    try {
      const r = await fetch('/v1/check-api-key', {
        method: 'POST', headers: { Authorization: 'Bearer ' + k }, cache: 'no-store', credentials: 'omit',
      });
      await readReply(r);
      window.sessionStorage.setItem(KEY, k);
      input.value = '';
      setError('api-key', '');
      $('#login').hidden = true;
      announce('Signed in');
      route();
    } catch (err) {
      setError('api-key', err.status === 401 ? 'The server refused this key: ' + err.message : err.message);
      input.focus();
      input.select();
    } finally {
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------------------------------- routing

  let timers = [];
  function stopTimers() {
    timers.forEach((t) => t.stop());
    timers = [];
  }

  /**
   * A poll that runs {@code fn} every {@code ms} until it returns false or the page changes. A failure goes to
   * {@code onError}; a 401 (signed out) or 404 (gone) ends the poll, anything else (the server restarting) retries.
   */
  function poll(fn, ms, onError) {
    const t = { stopped: false, id: 0, stop() { this.stopped = true; window.clearTimeout(this.id); } };
    const tick = async () => {
      if (t.stopped) return;
      let again = true;
      try {
        again = await fn();
      } catch (e) {
        again = !(e instanceof ApiError && (e.status === 401 || e.status === 404));
        if (onError && !t.stopped && !(e instanceof ApiError && e.status === 401)) onError(e);
      }
      if (again !== false && !t.stopped) t.id = window.setTimeout(tick, ms);
    };
    timers.push(t);
    t.id = window.setTimeout(tick, 0);
    return t;
  }

  function route() {
    stopTimers();
    if (!key()) {
      showLogin('');
      return;
    }
    $('#login').hidden = true;
    $('#nav').hidden = false;
    const parts = window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
    const page = parts[0] || 'new';
    document.querySelectorAll('#nav a[data-nav]').forEach((a) => {
      if (a.dataset.nav === page) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    const view = $('#view');
    view.replaceChildren();
    const show = {
      models: () => (parts[1] ? modelPage(view, parts[1]) : modelsPage(view)),
      datasets: () => (parts[1] ? datasetPage(view, parts[1]) : datasetsPage(view)),
      audit: () => auditPage(view),
      new: () => wizard(view, parts),
    }[page] || (() => wizard(view, []));
    show();
  }

  function title(view, text) {
    const t = h('h1', { tabindex: '-1', id: 'page-title' }, text);
    view.append(t);
    document.title = text + ' · finetune';
    t.focus();
    return t;
  }

  function failure(view, e) {
    view.append(h('p', { class: 'error', role: 'alert' }, e.message));
  }

  // --------------------------------------------------------------------------------------- confirm

  /** An accessible confirmation: resolves true when the user chooses Delete. Focus starts on Cancel and comes back. */
  let confirmShowing = 0;

  function confirmDelete(titleText, text) {
    const d = $('#confirm');
    const back = document.activeElement;
    const mine = ++confirmShowing;
    $('#confirm-title').textContent = titleText;
    $('#confirm-text').textContent = text;
    return new Promise((resolve) => {
      // Escape closes the dialog too (returnValue stays empty): every way out ends here. The close event
      // is queued, so one from an earlier showing can arrive after the dialog was opened again: while the
      // dialog is open a close event is not this showing's, and a listener of an earlier showing answers no.
      const onClose = () => {
        if (d.open) return;
        d.removeEventListener('close', onClose);
        if (mine !== confirmShowing) { resolve(false); return; }
        if (back && document.contains(back)) back.focus();
        resolve(d.returnValue === 'ok');
      };
      d.addEventListener('close', onClose);
      d.returnValue = '';
      $('#confirm-ok').onclick = () => d.close('ok');
      $('#confirm-cancel').onclick = () => d.close('cancel');
      d.showModal();
      $('#confirm-cancel').focus();
    });
  }

  // ---------------------------------------------------------------------------------------- wizard

  let wizardState = null;

  function newWizard() {
    return {
      step: 1, type: null, datasetType: null, dataset: null, estimate: null, estimateFor: null,
      settings: { name: '', baseModel: '', strategy: '', targetModules: '', hp: {} },
    };
  }

  function wizard(view, parts) {
    if (!wizardState) wizardState = newWizard();
    const W = wizardState;
    if (parts[1] === 'dataset' && parts[2]) {
      // "Fine-tune on this dataset" from a dataset's page: start at its requirements
      wizardState = newWizard();
      window.history.replaceState(null, '', '#/new');
      title(view, 'New fine-tune');
      api('GET', '/v1/datasets/' + encodeURIComponent(parts[2])).then((r) => {
        const S = wizardState;
        S.dataset = r.dataset;
        S.datasetType = r.dataset.dataset_type;
        S.type = typeOfDataset(S.datasetType);
        S.step = 3;
        renderWizard(view, false);
      }, (e) => failure(view, e));
      return;
    }
    title(view, 'New fine-tune');
    renderWizard(view, false);
  }

  function renderWizard(view, focusStep) {
    const W = wizardState;
    view.querySelectorAll('.wizard').forEach((e) => e.remove());
    const steps = h('ol', { class: 'steps', 'aria-label': 'Steps' },
      STEPS.map((s, i) => h('li', { class: i + 1 < W.step ? 'done' : null, 'aria-current': i + 1 === W.step ? 'step' : null }, s)));
    const box = h('div', { class: 'wizard' }, steps);
    view.append(box);
    const render = [null, stepType, stepUpload, stepRequirements, stepReview, stepEstimate, stepSettings][W.step];
    render(box, W);
    if (focusStep) {
      const t = $('#step-title', box);
      if (t) t.focus();
    }
  }

  function go(step) {
    wizardState.step = step;
    renderWizard($('#view'), true);
    announce('Step ' + step + ' of ' + STEPS.length + ': ' + STEPS[step - 1]);
  }

  function stepTitle(W, text) {
    return h('h2', { id: 'step-title', tabindex: '-1' }, 'Step ' + W.step + ' of ' + STEPS.length + ': ' + text);
  }

  function buttons(...kids) { return h('div', { class: 'buttons' }, kids); }

  // step 1 ---------------------------------------------------------------------------------------
  function stepType(box, W) {
    const form = h('form', { id: 'type-form', novalidate: true });
    const choices = Object.entries(TYPES).map(([t, d]) => h('div', { class: 'choice' },
      h('input', { type: 'radio', name: 'base-type', id: 'type-' + t, value: t, checked: (W.type || 'chat') === t,
        'aria-describedby': 'type-' + t + '-hint' }),
      h('div', {}, h('label', { for: 'type-' + t }, d.title), h('span', { class: 'hint', id: 'type-' + t + '-hint' }, d.hint))));
    const multi = W.datasetType === TYPES.classify.datasetTypes[1];
    const labels = h('fieldset', { id: 'labels-per-example' }, h('legend', {}, 'Classify: labels per example'),
      h('div', { class: 'choice' }, h('input', { type: 'radio', name: 'labels', id: 'labels-single', value: '0', checked: !multi }),
        h('label', { for: 'labels-single' }, 'One label per text (single-label)')),
      h('div', { class: 'choice' }, h('input', { type: 'radio', name: 'labels', id: 'labels-multi', value: '1', checked: multi }),
        h('label', { for: 'labels-multi' }, 'Any number of labels per text (multi-label)')));
    form.append(stepTitle(W, 'choose the kind of model'),
      h('fieldset', {}, h('legend', {}, 'What do you want to fine-tune?'), choices), labels,
      buttons(h('button', { type: 'submit', id: 'type-next' }, 'Next: upload data')));
    const syncLabels = () => {
      const on = $('#type-classify', form).checked;
      labels.disabled = !on;
      labels.hidden = !on;
    };
    form.addEventListener('change', syncLabels);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const t = form.querySelector('input[name="base-type"]:checked').value;
      const dt = t === 'classify' ? TYPES.classify.datasetTypes[$('#labels-multi', form).checked ? 1 : 0] : TYPES[t].datasetTypes[0];
      if (dt !== W.datasetType) {
        W.dataset = null;
        W.estimate = null;
      }
      W.type = t;
      W.datasetType = dt;
      go(2);
    });
    box.append(form);
    syncLabels();
  }

  // step 2 ---------------------------------------------------------------------------------------
  function stepUpload(box, W) {
    const T = TYPES[W.type];
    const csv = W.type === 'generative' || W.type === 'classify';
    const policies = [
      ['REDACT', 'Redact', 'replace every e-mail address, phone number, card number, IBAN, SSN, IP address or secret with a tag such as <EMAIL_ADDRESS> before anything is stored'],
      ['REJECT', 'Reject', 'fail the upload if any is found, keeping no data'],
      ['WARN', 'Warn', 'keep the values and report the counts in the warnings'],
      ['OFF', 'Off', 'do not scan'],
    ];
    const form = h('form', { id: 'upload-form', novalidate: true },
      stepTitle(W, 'upload your data'),
      h('p', {}, T.format),
      field('ds-name', 'Dataset name', h('input', { type: 'text', autocomplete: 'off' }),
        'optional; the training file\'s name when empty'),
      field('train-file', 'Training file', h('input', { type: 'file', accept: csv ? '.jsonl,.json,.csv,.txt' : '.jsonl,.json,.txt' }),
        'required'),
      field('eval-file', 'Evaluation file', h('input', { type: 'file', accept: csv ? '.jsonl,.json,.csv,.txt' : '.jsonl,.json,.txt' }),
        'optional; without one, a part of the training data is set aside for evaluation'),
      h('fieldset', { id: 'pii-policy' }, h('legend', {}, 'Personal data found in the files'),
        policies.map(([v, l, d]) => h('div', { class: 'choice' },
          h('input', { type: 'radio', name: 'pii', id: 'pii-' + v.toLowerCase(), value: v, checked: v === 'REDACT',
            'aria-describedby': 'pii-' + v.toLowerCase() + '-hint' }),
          h('div', {}, h('label', { for: 'pii-' + v.toLowerCase() }, l),
            h('span', { class: 'hint', id: 'pii-' + v.toLowerCase() + '-hint' }, d))))),
      h('details', {}, h('summary', {}, 'More options'),
        h('div', { class: 'choice' }, h('input', { type: 'checkbox', id: 'skip-malformed' }),
          h('label', { for: 'skip-malformed' }, 'Skip malformed rows instead of failing (each one is listed in the warnings)')),
        csv ? field('csv-delimiter', 'CSV delimiter', h('input', { type: 'text', maxlength: '1', value: ',', autocomplete: 'off' }),
          'one character') : null),
      h('div', { id: 'upload-progress', hidden: true },
        h('label', { for: 'upload-bar', class: 'label' }, 'Upload'),
        h('progress', { id: 'upload-bar', max: '100', value: '0' }),
        h('p', { id: 'upload-status', 'aria-live': 'polite' })),
      h('p', { class: 'error', id: 'upload-error', role: 'alert' }),
      buttons(h('button', { type: 'button', class: 'secondary', onclick: () => go(1) }, 'Back'),
        h('button', { type: 'submit', id: 'upload-submit' }, 'Upload and check')));
    form.addEventListener('submit', (e) => { e.preventDefault(); submitUpload(form, W); });

    const existing = h('form', { id: 'existing-form', novalidate: true },
      h('h3', {}, 'Or use a dataset you uploaded before'),
      field('existing-dataset', 'Uploaded dataset', h('select', {}, h('option', { value: '' }, 'loading…'))),
      buttons(h('button', { type: 'submit', class: 'secondary', id: 'existing-use' }, 'Use this dataset')));
    existing.addEventListener('submit', async (e) => {
      e.preventDefault();
      const id = $('#existing-dataset').value;
      setError('existing-dataset', '');
      if (!id) {
        setError('existing-dataset', 'Choose a dataset.');
        $('#existing-dataset').focus();
        return;
      }
      try {
        W.dataset = (await api('GET', '/v1/datasets/' + encodeURIComponent(id))).dataset;
        W.estimate = null;
        go(3);
      } catch (err) {
        setError('existing-dataset', err.message);
      }
    });
    box.append(form, existing);
    api('GET', '/v1/datasets?limit=1000&dataset_type=' + encodeURIComponent(W.datasetType)).then((r) => {
      const sel = $('#existing-dataset');
      if (!sel) return;
      const list = (r.datasets || []).filter((d) => d.validation_status === 'validated');
      sel.replaceChildren(h('option', { value: '' }, list.length ? 'choose one' : 'none validated yet'),
        list.map((d) => h('option', { value: d.id }, d.name + ' (' + d.id + ', ' + fmtTime(d.created_at) + ')')));
    }, (err) => setError('existing-dataset', err.message));
  }

  async function submitUpload(form, W) {
    clearErrors(form);
    $('#upload-error').textContent = '';
    const train = $('#train-file').files[0];
    const evalFile = $('#eval-file').files[0];
    if (!train) {
      setError('train-file', 'Choose a training file.');
      $('#train-file').focus();
      return;
    }
    const name = $('#ds-name').value.trim() || train.name.replace(/\.[^.]*$/, '') || 'dataset';
    const q = new URLSearchParams({ name, type: W.datasetType, pii_policy: form.querySelector('input[name="pii"]:checked').value });
    if ($('#skip-malformed').checked) q.set('skip_malformed_input', 'true');
    const delim = $('#csv-delimiter');
    if (delim && delim.value !== ',') q.set('csv_delimiter', delim.value);
    const submit = $('#upload-submit');
    submit.disabled = true;
    const progress = $('#upload-progress');
    const bar = $('#upload-bar');
    const status = $('#upload-status');
    progress.hidden = false;
    bar.value = 0;
    status.textContent = 'Uploading…';
    let lastAnnounced = -1;
    try {
      const created = await upload(q.toString(), train, evalFile, (loaded, total) => {
        const pct = total > 0 ? Math.min(100, Math.round((100 * loaded) / total)) : 0;
        bar.value = pct;
        bar.setAttribute('aria-valuetext', pct + '%');
        status.textContent = 'Uploading: ' + fmtBytes(loaded) + ' of ' + fmtBytes(total) + ' (' + pct + '%)';
        if (pct >= lastAnnounced + 25) { lastAnnounced = pct; announce('Upload ' + pct + '%'); }
      });
      bar.value = 100;
      status.textContent = 'Uploaded. Checking the data against the requirements…';
      announce('Uploaded; checking the data');
      poll(async () => {
        const d = (await api('GET', '/v1/datasets/' + encodeURIComponent(created.id))).dataset;
        if (d.validation_status === 'validated' || d.validation_status === 'failed') {
          W.dataset = d;
          W.estimate = null;
          go(3);
          return false;
        }
        return true;
      }, 300);
    } catch (err) {
      progress.hidden = true;
      submit.disabled = false;
      const target = placeError(err.message, { name: 'ds-name', csv_delimiter: 'csv-delimiter', data: 'train-file', eval_data: 'eval-file' },
        'upload-error');
      if (!target && err.status === 413) setError('train-file', err.message);
      (target || submit).focus();
    }
  }

  // step 3 ---------------------------------------------------------------------------------------
  function requirementsPanel(d) {
    const type = typeOfDataset(d.dataset_type);
    const T = TYPES[type];
    const ok = d.validation_status === 'validated';
    const pending = d.validation_status !== 'validated' && d.validation_status !== 'failed';
    const warnings = d.validation_warnings || [];
    const pii = d.pii;
    const panel = h('section', { id: 'requirements', class: 'panel ' + (ok ? 'passed' : pending ? '' : 'failed'), 'aria-labelledby': 'req-title' },
      h('h3', { id: 'req-title', class: 'req' }, 'Data requirements'),
      h('ul', { class: 'rules' }, T ? T.rules.map((r) => h('li', {}, r)) : h('li', {}, d.dataset_type)),
      h('p', { id: 'req-status', class: 'status ' + d.validation_status },
        ok ? 'Passed: the data meets the requirements.' : pending ? 'Still checking (' + d.validation_status + ')…'
          : 'Failed: the data does not meet the requirements.'),
      d.validation_error ? h('p', { id: 'req-error', class: 'error', role: 'alert' }, d.validation_error) : null,
      h('h4', {}, 'Warnings'),
      warnings.length ? h('ul', { id: 'req-warnings' }, warnings.map((w) => h('li', { class: 'warn' }, w)))
        : h('p', { id: 'req-warnings', class: 'muted' }, 'No warnings.'),
      h('h4', {}, 'Personal data'),
      pii ? piiSummary(pii) : h('p', { id: 'pii', class: 'muted' }, 'No scan ran on this dataset.'));
    return panel;
  }

  function piiSummary(pii) {
    const found = Object.entries(pii.findings_by_type || {});
    return h('div', { id: 'pii' },
      h('p', {}, 'Policy: ', h('b', { id: 'pii-policy-applied' }, pii.policy || '—'), '. ',
        found.length ? fmtInt(found.reduce((a, [, n]) => a + n, 0)) + ' finding(s); ' + fmtInt(pii.records_changed)
          + ' record(s) changed, ' + fmtInt(pii.records_dropped) + ' dropped.' : 'Nothing found.'),
      found.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'pii-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Findings'))),
        h('tbody', {}, found.map(([t, n]) => h('tr', {}, h('td', {}, t), h('td', { class: 'n' }, fmtInt(n))))))) : null);
  }

  function stepRequirements(box, W) {
    const d = W.dataset;
    const ok = d.validation_status === 'validated';
    box.append(stepTitle(W, 'data requirements'),
      h('p', {}, 'Dataset ', h('b', {}, d.name), ' (', h('span', { class: 'mono' }, d.id), ').'),
      requirementsPanel(d),
      buttons(h('button', { type: 'button', class: 'secondary', id: 'req-back', onclick: () => { W.dataset = null; go(2); } },
        ok ? 'Back' : 'Upload other files'),
        h('button', { type: 'button', id: 'req-next', disabled: !ok, 'aria-describedby': ok ? null : 'req-status',
          onclick: () => go(4) }, 'Next: review data')));
    if (!ok) {
      // the failure is what the user needs to read first
      announce('The data failed the requirements: ' + (d.validation_error || ''));
    }
  }

  // step 4 ---------------------------------------------------------------------------------------
  function reviewRows(d) {
    const m = (d.metrics && d.metrics.finetune_dataset_metrics) || {};
    const rows = [];
    const type = typeOfDataset(d.dataset_type);
    const both = (key, label, train, evalV) => rows.push({ key, label, train, eval: evalV });
    if (type === 'chat') {
      const c = m.chat_data_metrics || {};
      both('examples', 'Total conversations', m.train_examples, m.eval_examples);
      both('turns', 'Total turns', c.num_train_turns, c.num_eval_turns);
      both('average-turns', 'Average turns per conversation',
        m.train_examples ? fmtNum(c.num_train_turns / m.train_examples, 2) : '—',
        m.eval_examples ? fmtNum(c.num_eval_turns / m.eval_examples, 2) : '—');
    } else if (type === 'rerank') {
      const r = m.reranker_data_metrics || {};
      both('examples', 'Queries', r.num_train_queries, r.num_eval_queries);
      both('relevant', 'Relevant passages', r.num_train_relevant_passages, r.num_eval_relevant_passages);
      both('negatives', 'Hard negatives', r.num_train_hard_negatives, r.num_eval_hard_negatives);
    } else {
      both('examples', 'Examples', m.train_examples, m.eval_examples);
    }
    both('size', 'Size (normalized JSONL)', fmtBytes(m.train_size_bytes), fmtBytes(m.eval_size_bytes));
    rows.push({ key: 'tokens', label: 'Trainable tokens', train: m.trainable_token_count, eval: '' });
    return rows;
  }

  function reviewPanel(d) {
    const rows = reviewRows(d);
    const type = typeOfDataset(d.dataset_type);
    const m = (d.metrics && d.metrics.finetune_dataset_metrics) || {};
    const cell = (v) => (typeof v === 'number' ? fmtInt(v) : v === undefined || v === null ? '—' : v);
    const split = (d.validation_warnings || []).some((w) => w.includes('auto-split'));
    const panel = h('section', { id: 'review', 'aria-labelledby': 'review-title' },
      h('h3', { id: 'review-title' }, 'Review data'),
      split ? h('p', { class: 'muted', id: 'auto-split' }, 'No evaluation file was given: the evaluation part below was split off the training file.') : null,
      h('div', { class: 'table-wrap' }, h('table', { id: 'review-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Count')),
          h('th', { scope: 'col' }, 'Training file'), h('th', { scope: 'col' }, 'Evaluation file'))),
        h('tbody', {}, rows.map((r) => h('tr', { 'data-row': r.key }, h('th', { scope: 'row' }, r.label),
          h('td', { class: 'n', 'data-part': 'train' }, cell(r.train)), h('td', { class: 'n', 'data-part': 'eval' }, cell(r.eval))))))));
    const chat = m.chat_data_metrics;
    if (chat && chat.preamble) {
      panel.append(h('p', {}, h('b', {}, 'Preamble: '), h('span', { id: 'preamble' }, chat.preamble)));
    }
    const labels = m.classify_data_metrics && m.classify_data_metrics.label_metrics;
    if (labels && labels.length) {
      panel.append(h('h4', {}, 'Labels'), h('div', { class: 'table-wrap' }, h('table', { id: 'labels-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Label'), h('th', { scope: 'col' }, 'Examples'), h('th', { scope: 'col' }, 'Samples'))),
        h('tbody', {}, labels.map((l) => h('tr', {}, h('td', {}, l.label), h('td', { class: 'n' }, fmtInt(l.total_examples)),
          h('td', { class: 'wrap' }, (l.samples || []).join(' · '))))))));
    }
    for (const part of d.dataset_parts || []) {
      if (!part.samples || !part.samples.length) continue;
      panel.append(h('h4', {}, (type === 'chat' ? 'Sample conversations' : 'Samples') + ' (' + (part.name === 'train' ? 'training file' : 'evaluation file') + ')'),
        h('div', { class: 'samples', 'data-part': part.name }, part.samples.map((s) => sample(s, type))));
    }
    return panel;
  }

  function sample(text, type) {
    let o = null;
    try { o = JSON.parse(text); } catch (e) { o = null; }
    if (o && type === 'chat' && Array.isArray(o.messages)) {
      return h('div', { class: 'sample' }, o.messages.map((m) => h('p', { class: 'turn' },
        h('span', { class: 'role' }, String(m.role) + ':'), typeof m.content === 'string' ? m.content : JSON.stringify(m.content))));
    }
    if (o && typeof o === 'object') {
      return h('div', { class: 'sample' }, Object.entries(o).map(([k, v]) => h('p', { class: 'turn' },
        h('span', { class: 'role' }, k + ':'), Array.isArray(v) ? v.join(' | ') : typeof v === 'string' ? v : JSON.stringify(v))));
    }
    return h('div', { class: 'sample' }, h('pre', { class: 'json' }, text));
  }

  function stepReview(box, W) {
    box.append(stepTitle(W, 'review data'), reviewPanel(W.dataset),
      buttons(h('button', { type: 'button', class: 'secondary', onclick: () => go(3) }, 'Back'),
        h('button', { type: 'button', id: 'review-next', onclick: () => go(5) }, 'Next: estimate')));
  }

  // step 5 ---------------------------------------------------------------------------------------
  const SETTING_FIELDS = {
    name: 'ft-name', base_model: 'ft-base-model', strategy: 'hp-strategy', lora_target_modules: 'hp-lora_target_modules',
  };
  HYPERPARAMETERS.forEach(([k]) => { SETTING_FIELDS[k] = 'hp-' + k; });

  /** The create request from the wizard's settings, or throws {field, message} for a number that is not one. */
  function buildRequest(W, nameForEstimate) {
    const S = W.settings;
    const hp = {};
    for (const [k, , , integer] of HYPERPARAMETERS) {
      const raw = (S.hp[k] || '').trim();
      if (!raw) continue;
      const v = Number(raw);
      if (!isFinite(v) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) {
        throw { field: k, message: k + ': "' + raw + '" is not a number' };
      }
      if (integer && !Number.isInteger(v)) {
        throw { field: k, message: k + ': ' + raw + ' is not a whole number' };
      }
      hp[k] = v;
    }
    if (S.strategy) hp.strategy = S.strategy;
    if (S.targetModules) hp.lora_target_modules = S.targetModules;
    const base = { base_type: TYPES[W.type].baseType };
    if (S.baseModel.trim()) base.name = S.baseModel.trim();
    const name = S.name.trim() || (nameForEstimate ? 'estimate' : '');
    return { name, settings: { base_model: base, dataset_id: W.dataset.id, hyperparameters: hp } };
  }

  function estimateTable(e) {
    const rows = [
      ['time', 'Time', e.seconds !== undefined && e.seconds !== null
        ? 'about ' + fmtSeconds(e.seconds) + ' (from ' + e.measured_steps + ' real step(s) measured in ' + fmtSeconds(e.measured_seconds) + ' on this machine)'
        : 'not measured'],
      ['memory', 'Peak memory', fmtBytes(e.peak_memory_bytes) + ' of ' + fmtBytes(e.heap_max_bytes) + ' heap: '
        + (e.fits ? 'fits' : 'does NOT fit (start the server with a larger -Xmx)')],
      ['trainable-tokens', 'Trainable tokens (one epoch)', fmtInt(e.trainable_tokens)],
      ['trained-tokens', 'Tokens trained over the run', fmtInt(e.trained_tokens)],
      ['steps', 'Steps', fmtInt(e.steps) + ' (' + e.epochs + ' epoch(s) of ' + e.steps_per_epoch + ', batch size ' + e.batch_size + ')'],
      ['examples', 'Examples', fmtInt(e.train_examples) + ' train, ' + fmtInt(e.eval_examples) + ' eval'
        + (e.examples_truncated ? ', ' + fmtInt(e.examples_truncated) + ' cut by the context' : '')],
      ['padding', 'Padding share', fmtNum(100 * e.padding_share, 1) + '%'],
      ['evaluations', 'Evaluations', fmtInt(e.evaluations)],
    ];
    const memory = Object.entries(e.memory || {});
    return h('div', { id: 'estimate-result' },
      h('div', { class: 'table-wrap' }, h('table', { id: 'estimate-table' },
        h('tbody', {}, rows.map(([k, l, v]) => h('tr', { 'data-row': k, 'data-value': k === 'steps' ? e.steps
          : k === 'trainable-tokens' ? e.trainable_tokens : k === 'memory' ? e.peak_memory_bytes : k === 'time' ? e.seconds : null },
        h('th', { scope: 'row' }, l), h('td', {}, v)))))),
      memory.length ? h('details', {}, h('summary', {}, 'Memory by part'), h('div', { class: 'table-wrap' }, h('table', {},
        h('tbody', {}, memory.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'n' }, fmtBytes(v))))))))
        : null);
  }

  async function runEstimate(W) {
    let req;
    try {
      req = buildRequest(W, true);
    } catch (bad) {
      return { error: bad };
    }
    const r = await api('POST', '/v1/finetuning/estimate', req);
    W.estimate = r.estimate;
    W.estimateFor = JSON.stringify(req.settings);
    return { estimate: r.estimate };
  }

  function stepEstimate(box, W) {
    const form = h('form', { id: 'estimate-form', novalidate: true },
      stepTitle(W, 'estimate'),
      h('p', {}, 'What this fine-tune costs on this machine: its steps and tokens (counted over the trainer\'s own schedule), '
        + 'its peak memory, and its time, from a burst of real training steps run here for a few seconds.'),
      field('est-base-model', 'Base model', h('input', { type: 'text', list: 'base-models', autocomplete: 'off', value: W.settings.baseModel,
        placeholder: 'base-light' }), 'empty: the built-in base-light; or a Hugging Face name ORG/NAME, or a model folder on the server'),
      h('datalist', { id: 'base-models' }, h('option', { value: 'base-light' })),
      h('p', { class: 'muted' }, 'Hyperparameters: ', h('span', { id: 'est-hp' }, describeHp(W)), ' (set them in the next step; the estimate there is updated on request).'),
      buttons(h('button', { type: 'button', class: 'secondary', onclick: () => go(4) }, 'Back'),
        h('button', { type: 'submit', id: 'estimate-run' }, W.estimate ? 'Estimate again' : 'Estimate')),
      h('div', { id: 'estimate', 'aria-live': 'polite' }, W.estimate ? estimateTable(W.estimate) : null),
      h('p', { class: 'error', id: 'estimate-error', role: 'alert' }),
      buttons(h('button', { type: 'button', id: 'estimate-next', onclick: () => go(6) }, 'Next: name and start')));
    $('#est-base-model', form).addEventListener('input', (e) => { W.settings.baseModel = e.target.value; });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      $('#estimate-error', form).textContent = '';
      const run = $('#estimate-run', form);
      run.disabled = true;
      $('#estimate', form).replaceChildren(h('p', { class: 'muted' }, 'Measuring a few real steps…'));
      try {
        const r = await runEstimate(W);
        if (r.error) {
          $('#estimate', form).replaceChildren();
          $('#estimate-error', form).textContent = r.error.message + ' (change it in the next step)';
          return;
        }
        $('#estimate', form).replaceChildren(estimateTable(r.estimate));
        announce('Estimate ready: ' + r.estimate.steps + ' steps, about ' + fmtSeconds(r.estimate.seconds));
      } catch (err) {
        $('#estimate', form).replaceChildren();
        const target = placeError(err.message, { base_model: 'est-base-model' }, 'estimate-error');
        if (target) target.focus();
      } finally {
        run.disabled = false;
        run.textContent = W.estimate ? 'Estimate again' : 'Estimate';
      }
    });
    box.append(form);
  }

  function describeHp(W) {
    const S = W.settings;
    const set = HYPERPARAMETERS.filter(([k]) => (S.hp[k] || '').trim()).map(([k]) => k + ' ' + S.hp[k].trim());
    if (S.strategy) set.unshift(S.strategy);
    return set.length ? set.join(', ') : 'the defaults';
  }

  // step 6 ---------------------------------------------------------------------------------------
  function stepSettings(box, W) {
    const S = W.settings;
    const isLora = () => S.strategy !== 'STRATEGY_FULL';
    const hpFields = HYPERPARAMETERS.map(([k, label, hint, integer]) => {
      const input = h('input', { type: 'text', inputmode: integer ? 'numeric' : 'decimal', autocomplete: 'off', value: S.hp[k] || '' });
      input.addEventListener('input', () => { S.hp[k] = input.value; staleEstimate(); });
      return field('hp-' + k, label, input, hint);
    });
    const strategy = h('select', {}, h('option', { value: '' }, 'LoRA adapters (default)'), h('option', { value: 'STRATEGY_LORA' }, 'LoRA adapters'),
      h('option', { value: 'STRATEGY_FULL' }, 'Full fine-tuning (every weight)'));
    strategy.value = S.strategy;
    strategy.addEventListener('change', () => { S.strategy = strategy.value; staleEstimate(); });
    const modules = h('select', {}, h('option', { value: '' }, 'default (q and v)'),
      h('option', { value: 'LORA_TARGET_MODULES_QV' }, 'q and v'),
      h('option', { value: 'LORA_TARGET_MODULES_QKVO' }, 'q, k, v and the attention output'),
      h('option', { value: 'LORA_TARGET_MODULES_QKVO_FFN' }, 'q, k, v, attention output and the MLP'));
    modules.value = S.targetModules;
    modules.addEventListener('change', () => { S.targetModules = modules.value; staleEstimate(); });
    const name = h('input', { type: 'text', maxlength: '64', autocomplete: 'off', value: S.name, required: true });
    name.addEventListener('input', () => { S.name = name.value; });
    const base = h('input', { type: 'text', list: 'base-models', autocomplete: 'off', value: S.baseModel, placeholder: 'base-light' });
    base.addEventListener('input', () => { S.baseModel = base.value; staleEstimate(); });

    const form = h('form', { id: 'settings-form', novalidate: true },
      stepTitle(W, 'name, base model and hyperparameters'),
      h('p', {}, 'Dataset ', h('b', {}, W.dataset.name), ' · ', TYPES[W.type].title.replace('Create a ', '')),
      field('ft-name', 'Model name', name, 'required; at most 64 characters'),
      field('ft-base-model', 'Base model', base, 'empty: the built-in base-light; or a Hugging Face name ORG/NAME, or a model folder on the server'),
      h('datalist', { id: 'base-models' }, h('option', { value: 'base-light' })),
      h('fieldset', {}, h('legend', {}, 'Hyperparameters (empty: the default)'),
        h('div', { class: 'grid' }, field('hp-strategy', 'Strategy', strategy, 'default LoRA'), hpFields,
          field('hp-lora_target_modules', 'LoRA target modules', modules, 'LoRA only'))),
      h('section', { id: 'settings-estimate', class: 'panel', 'aria-labelledby': 'settings-estimate-title' },
        h('h3', { id: 'settings-estimate-title' }, 'Estimate'),
        h('div', { id: 'settings-estimate-body', 'aria-live': 'polite' }),
        h('p', { class: 'error', id: 'settings-estimate-error', role: 'alert' }),
        buttons(h('button', { type: 'button', class: 'secondary', id: 'estimate-update' }, 'Update the estimate'))),
      h('p', { class: 'error', id: 'start-error', role: 'alert' }),
      buttons(h('button', { type: 'button', class: 'secondary', onclick: () => go(5) }, 'Back'),
        h('button', { type: 'submit', id: 'start-training' }, 'Start training')));

    function staleEstimate() {
      const body = $('#settings-estimate-body', form);
      if (!body) return;
      if (!W.estimate) {
        body.replaceChildren(h('p', { class: 'muted' }, 'No estimate yet.'));
        return;
      }
      let same = false;
      try { same = JSON.stringify(buildRequest(W, true).settings) === W.estimateFor; } catch (e) { same = false; }
      body.replaceChildren(h('p', { id: 'estimate-summary', class: same ? '' : 'warn', 'data-current': same ? 'yes' : 'no',
        'data-steps': W.estimate.steps },
        (same ? 'For these settings: ' : 'For earlier settings (update it): ') + plural(W.estimate.steps, 'step') + ', '
        + fmtInt(W.estimate.trained_tokens) + ' tokens trained, peak memory ' + fmtBytes(W.estimate.peak_memory_bytes)
        + ', about ' + fmtSeconds(W.estimate.seconds) + '.'));
    }

    function showBad(bad) {
      const target = placeError(bad.message, SETTING_FIELDS, 'start-error');
      (target || $('#start-training', form)).focus();
    }

    $('#estimate-update', form).addEventListener('click', async () => {
      clearErrors(form);
      $('#settings-estimate-error', form).textContent = '';
      const b = $('#estimate-update', form);
      b.disabled = true;
      $('#settings-estimate-body', form).replaceChildren(h('p', { class: 'muted' }, 'Measuring a few real steps…'));
      try {
        const r = await runEstimate(W);
        if (r.error) { staleEstimate(); showBad(r.error); return; }
        staleEstimate();
        announce('Estimate updated');
      } catch (err) {
        staleEstimate();
        const target = placeError(err.message, SETTING_FIELDS, 'settings-estimate-error');
        if (target) target.focus();
      } finally {
        b.disabled = false;
      }
    });

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      $('#start-error', form).textContent = '';
      if (!S.name.trim()) {
        setError('ft-name', 'name: required');
        name.focus();
        return;
      }
      let req;
      try { req = buildRequest(W, false); } catch (bad) { showBad(bad); return; }
      const start = $('#start-training', form);
      start.disabled = true;
      try {
        const r = await api('POST', '/v1/finetuning/finetuned-models', req);
        const id = r.finetuned_model.id;
        wizardState = null;
        announce('Training started');
        window.location.hash = '#/models/' + encodeURIComponent(id);
      } catch (err) {
        start.disabled = false;
        showBad(err);
      }
    });
    box.append(form);
    staleEstimate();
    // LoRA-only settings say so when full fine-tuning is chosen
    const loraHint = () => ['hp-lora_rank', 'hp-lora_alpha', 'hp-lora_target_modules'].forEach((id) => {
      const hint = document.getElementById(id + '-hint');
      if (!hint) return;
      if (hint.dataset.text === undefined) hint.dataset.text = hint.textContent;
      hint.textContent = isLora() ? hint.dataset.text : 'not used by full fine-tuning';
      hint.classList.toggle('warn', !isLora());
    });
    strategy.addEventListener('change', loraHint);
    loraHint();
  }

  // ------------------------------------------------------------------------------------- model page

  const LOSS = ['train_loss', 'eval_cross_entropy', 'eval_loss'];
  const ACCURACY = ['train_accuracy', 'eval_accuracy', 'eval_accuracy@1', 'eval_mrr@10'];
  const COLOURS = ['#1f5fbf', '#c0392b', '#2e7d32', '#7b3fa0'];

  /** One chart as SVG: a line and a circle per recorded value for every series present; steps on x. */
  function chart(id, caption, series, bySteps) {
    const W = 560, H = 260, L = 56, R = 14, T = 12, B = 34;
    const pts = {};
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of series) {
      const p = [];
      for (const [step, m] of bySteps) {
        const v = m[s];
        if (typeof v === 'number' && isFinite(v)) {
          p.push([step, v]);
          x0 = Math.min(x0, step); x1 = Math.max(x1, step); y0 = Math.min(y0, v); y1 = Math.max(y1, v);
        }
      }
      if (p.length) pts[s] = p;
    }
    const fig = h('figure', { class: 'chart', id: 'chart-' + id }, h('figcaption', { id: 'chart-' + id + '-caption' }, caption));
    const names = Object.keys(pts);
    if (!names.length) {
      fig.append(h('p', { class: 'muted' }, 'No ' + caption.toLowerCase() + ' recorded yet.'));
      return fig;
    }
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y1 = y0 + 0.5; y0 -= 0.5; }
    const pad = (y1 - y0) * 0.06;
    y0 -= pad; y1 += pad;
    const X = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
    const Y = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
    const summary = names.map((s) => s + ': ' + pts[s].length + ' points, latest ' + fmtNum(pts[s][pts[s].length - 1][1])).join('; ');
    const g = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'chart-' + id + '-caption chart-' + id + '-desc' },
      svg('desc', { id: 'chart-' + id + '-desc' }, caption + ' by training step. ' + summary));
    for (let i = 0; i <= 4; i++) {
      const v = y0 + ((y1 - y0) * i) / 4;
      g.append(svg('line', { class: 'grid', x1: L, x2: W - R, y1: Y(v), y2: Y(v) }),
        svg('text', { x: L - 6, y: Y(v) + 4, 'text-anchor': 'end' }, fmtNum(v, Math.abs(y1 - y0) < 0.5 ? 3 : 2)));
    }
    const xt = Math.min(6, Math.round(x1 - x0) + 1);
    for (let i = 0; i < xt; i++) {
      const v = Math.round(x0 + ((x1 - x0) * i) / Math.max(1, xt - 1));
      g.append(svg('text', { x: X(v), y: H - B + 16, 'text-anchor': 'middle' }, String(v)));
    }
    g.append(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }), svg('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }),
      svg('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle' }, 'step'));
    names.forEach((s, i) => {
      const c = COLOURS[series.indexOf(s) % COLOURS.length];
      g.append(svg('polyline', { fill: 'none', stroke: c, 'stroke-width': 2, 'data-series': s,
        points: pts[s].map(([x, y]) => X(x).toFixed(1) + ',' + Y(y).toFixed(1)).join(' ') }));
      for (const [x, y] of pts[s]) {
        g.append(svg('circle', { class: 'pt', 'data-series': s, 'data-step': x, 'data-value': y, cx: X(x).toFixed(1), cy: Y(y).toFixed(1), r: 3, fill: c },
          svg('title', {}, s + ' at step ' + x + ': ' + fmtNum(y))));
      }
    });
    fig.append(g, h('div', { class: 'legend' }, names.map((s) => h('span', {},
      h('span', { class: 'key', 'data-colour': COLOURS[series.indexOf(s) % COLOURS.length] }), s))));
    // colours through the DOM, not inline style attributes (the page's policy allows no inline styles)
    fig.querySelectorAll('.legend .key').forEach((k) => { k.style.background = k.dataset.colour; });
    return fig;
  }

  function pillsTable(m) {
    const metrics = m.metrics || {};
    const rows = Object.keys(metrics).filter((k) => k.startsWith('baseline_') && (k.slice(9) in metrics)).sort().map((k) => {
      const name = k.slice(9);
      const before = metrics[k], after = metrics[name];
      const low = metrics[name + '_change_ci_low'], high = metrics[name + '_change_ci_high'];
      const v = metrics[name + '_change_verdict'];
      const words = v === undefined ? 'no interval' : v > 0 ? 'improved' : v < 0 ? 'worse' : 'no clear change';
      const sign = (x) => (x >= 0 ? '+' : '') + fmtNum(x);
      return h('tr', { class: 'pill', 'data-metric': name }, h('th', { scope: 'row' }, name), h('td', { class: 'n' }, fmtNum(before)),
        h('td', { class: 'n' }, fmtNum(after)), h('td', { class: 'n' }, sign(after - before)),
        h('td', { class: 'n' }, low === undefined ? '—' : '[' + sign(low) + ', ' + sign(high) + ']'),
        h('td', { class: 'verdict ' + (v > 0 ? 'improved' : v < 0 ? 'worse' : '') }, words));
    });
    if (!rows.length) return h('p', { class: 'muted', id: 'pills' }, 'The before and after comparison comes when training ends.');
    return h('div', { class: 'table-wrap' }, h('table', { id: 'pills' },
      h('caption', { class: 'sr-only' }, 'Evaluation metrics of the base model and the fine-tuned model'),
      h('thead', {}, h('tr', {}, ['Metric', 'Base model', 'Fine-tuned', 'Change', '95% interval (paired bootstrap)', 'Verdict']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)));
  }

  function eventsTable(events) {
    return h('div', { class: 'table-wrap' }, h('table', { id: 'events' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Message'))),
      h('tbody', {}, events.map((e) => h('tr', { class: 'event' }, h('td', {}, fmtTime(e.created_at)), h('td', {}, e.status),
        h('td', { class: 'wrap' }, e.message || ''))))));
  }

  function numbersTable(bySteps) {
    const keys = [...new Set([...bySteps.values()].flatMap((m) => Object.keys(m)))].sort();
    return h('div', { class: 'table-wrap' }, h('table', { id: 'metrics-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'step'), keys.map((k) => h('th', { scope: 'col' }, k)))),
      h('tbody', {}, [...bySteps].map(([s, m]) => h('tr', {}, h('th', { scope: 'row' }, String(s)),
        keys.map((k) => h('td', { class: 'n' }, m[k] === undefined ? '' : fmtNum(m[k]))))))));
  }

  function modelPage(view, id) {
    title(view, 'Model');
    const head = $('#page-title');
    const info = h('p', { class: 'muted', id: 'model-info' });
    const status = h('p', {}, 'Status: ', h('span', { id: 'model-status', class: 'status' }, '…'), ' ',
      h('span', { id: 'model-progress-text' }));
    const bar = h('progress', { id: 'model-progress', max: '1', value: '0', 'aria-label': 'Training progress' });
    const failureText = h('p', { class: 'error', id: 'model-failure', role: 'alert' });
    const charts = h('div', { class: 'charts', id: 'charts' });
    const numbers = h('details', {}, h('summary', {}, 'The numbers behind the curves'), h('div', { id: 'numbers' }));
    const pills = h('div', { id: 'pills-box' });
    const events = h('div', { id: 'events-box' });
    const tryBox = h('div', { id: 'try-box' });
    const hpBox = h('div', { id: 'hp-box' });
    const del = h('button', { type: 'button', class: 'danger', id: 'delete-model' }, 'Delete this model');
    view.append(info, status, bar, failureText,
      h('section', { 'aria-labelledby': 'curves-title' }, h('h2', { id: 'curves-title' }, 'Training curves'), charts, numbers),
      h('section', { 'aria-labelledby': 'pills-title' }, h('h2', { id: 'pills-title' }, 'Before and after'), pills),
      h('section', { 'aria-labelledby': 'try-title' }, h('h2', { id: 'try-title' }, 'Try it'), tryBox),
      h('section', { 'aria-labelledby': 'events-title' }, h('h2', { id: 'events-title' }, 'Events'), events),
      h('section', { 'aria-labelledby': 'hp-title' }, h('h2', { id: 'hp-title' }, 'Settings'), hpBox),
      buttons(del));
    let model = null;
    let lastStatus = null;
    let tryBuilt = false;
    del.addEventListener('click', async () => {
      if (!(await confirmDelete('Delete model ' + (model ? model.name : id) + '?',
        'This deletes the model ' + id + ' and every file of it (weights, checkpoints, metrics). A running fine-tune stops.'))) return;
      try {
        await api('DELETE', '/v1/finetuning/finetuned-models/' + encodeURIComponent(id));
        announce('Model deleted');
        window.location.hash = '#/models';
      } catch (err) {
        failureText.textContent = err.message;
      }
    });
    poll(async () => {
      model = (await api('GET', '/v1/finetuning/finetuned-models/' + encodeURIComponent(id))).finetuned_model;
      const [steps, evs, est] = await Promise.all([
        allPages('/v1/finetuning/finetuned-models/' + encodeURIComponent(id) + '/training-step-metrics', 'step_metrics', 10000),
        allPages('/v1/finetuning/finetuned-models/' + encodeURIComponent(id) + '/events?order_by=created_at%20asc', 'events', 1000),
        api('GET', '/v1/finetuning/finetuned-models/' + encodeURIComponent(id) + '/estimate'),
      ]);
      head.textContent = model.name;
      document.title = model.name + ' · finetune';
      const st = model.settings || {};
      const bm = st.base_model || {};
      const infoKey = [model.id, bm.base_type, bm.name, st.dataset_id, model.created_at].join('|');
      if (info.dataset.key !== infoKey) {
        // replaced only when it changes: a link under the keyboard's focus must stay
        info.dataset.key = infoKey;
        info.replaceChildren(h('span', { class: 'mono' }, model.id), ' · ', bm.base_type, bm.name ? ' · base ' + bm.name : ' · base base-light',
          ' · dataset ', h('a', { href: '#/datasets/' + encodeURIComponent(st.dataset_id) }, st.dataset_id), ' · created ', fmtTime(model.created_at));
      }
      const s = $('#model-status');
      s.textContent = model.status;
      s.className = 'status ' + model.status;
      if (lastStatus !== null && lastStatus !== model.status) announce('Status: ' + model.status);
      lastStatus = model.status;
      failureText.textContent = model.failure_reason || '';
      const bySteps = new Map();
      steps.forEach((t) => bySteps.set(t.step_number, t.metrics || {}));
      const sorted = new Map([...bySteps].sort((a, b) => a[0] - b[0]));
      const e = est && est.estimate;
      const done = sorted.size ? [...sorted.keys()].pop() : 0;
      if (e && e.steps) {
        bar.max = e.steps;
        bar.value = Math.min(done, e.steps);
        $('#model-progress-text').textContent = 'step ' + done + ' of ' + e.steps
          + (e.estimated_finish && !TERMINAL.includes(model.status) ? ', expected to finish ' + fmtTime(e.estimated_finish) : '');
      } else {
        $('#model-progress-text').textContent = done ? 'step ' + done : '';
      }
      if (model.status === 'STATUS_READY') { bar.max = 1; bar.value = 1; }
      charts.replaceChildren(chart('loss', 'Loss', LOSS, sorted), chart('accuracy', 'Accuracy', ACCURACY, sorted));
      $('#numbers').replaceChildren(sorted.size ? numbersTable(sorted) : h('p', { class: 'muted' }, 'No steps yet.'));
      pills.replaceChildren(pillsTable(model));
      events.replaceChildren(eventsTable(evs));
      const hp = st.hyperparameters || {};
      hpBox.replaceChildren(Object.keys(hp).length ? h('div', { class: 'table-wrap' }, h('table', { id: 'hp-table' }, h('tbody', {},
        Object.entries(hp).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, String(v)))))))
        : h('p', { class: 'muted' }, 'The default hyperparameters.'));
      const ready = model.status === 'STATUS_READY';
      if (!tryBuilt) {
        tryBuilt = true;
        tryBox.replaceChildren(tryIt(model));
      }
      // built once (what the user types and where the focus is stay put); it opens when the model is ready
      $('#try-submit').disabled = !ready;
      $('#try-waiting').hidden = ready;
      return !TERMINAL.includes(model.status);
    }, POLL_MS, (e) => { failureText.textContent = e.message; });
  }

  // --------------------------------------------------------------------------------------- try it

  function tryIt(model) {
    const type = typeOfBase(model.settings.base_model.base_type) || 'chat';
    const id = model.id + '-ft';
    const answer = h('div', { class: 'answer', id: 'try-answer', 'aria-live': 'polite' });
    const extra = h('div', { id: 'try-extra' });
    const fieldsByType = {
      chat: () => [field('try-message', 'Message', h('textarea', {}), 'sent as the user\'s turn to /v2/chat'),
        h('div', { class: 'grid' }, field('try-max_tokens', 'Max tokens', h('input', { type: 'text', inputmode: 'numeric', value: '40' })),
          field('try-temperature', 'Temperature', h('input', { type: 'text', inputmode: 'decimal', value: '0' })))],
      generative: () => [field('try-prompt', 'Prompt', h('textarea', {})),
        h('div', { class: 'grid' }, field('try-max_tokens', 'Max tokens', h('input', { type: 'text', inputmode: 'numeric', value: '40' })),
          field('try-temperature', 'Temperature', h('input', { type: 'text', inputmode: 'decimal', value: '0' })))],
      rerank: () => [field('try-query', 'Query', h('input', { type: 'text' })),
        field('try-documents', 'Documents', h('textarea', {}), 'one a line')],
      classify: () => [field('try-inputs', 'Texts', h('textarea', {}), 'one a line')],
    };
    const form = h('form', { id: 'try-form', novalidate: true },
      h('p', { class: 'muted', id: 'try-waiting' }, 'The model answers here once it is ready.'),
      fieldsByType[type](),
      h('p', { class: 'error', id: 'try-error', role: 'alert' }),
      buttons(h('button', { type: 'submit', id: 'try-submit', disabled: true }, type === 'chat' ? 'Send' : type === 'generative' ? 'Generate'
        : type === 'rerank' ? 'Rerank' : 'Classify')),
      h('h3', {}, 'Answer'), answer, extra);
    const num = (id, integer) => {
      const el = document.getElementById(id);
      const raw = el.value.trim();
      const v = Number(raw);
      if (!raw || !isFinite(v) || (integer && !Number.isInteger(v))) {
        throw { field: id.slice(4), message: id.slice(4) + ': "' + raw + '" is not a' + (integer ? ' whole' : '') + ' number' };
      }
      return v;
    };
    const lines = (id) => document.getElementById(id).value.split('\n').map((s) => s.trim()).filter(Boolean);
    const FIELDS = { message: 'try-message', prompt: 'try-prompt', query: 'try-query', documents: 'try-documents', inputs: 'try-inputs',
      max_tokens: 'try-max_tokens', temperature: 'try-temperature', 'messages[0].content': 'try-message' };
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      $('#try-error').textContent = '';
      let path, body;
      try {
        if (type === 'chat') {
          path = '/v2/chat';
          body = { model: id, messages: [{ role: 'user', content: $('#try-message').value }], max_tokens: num('try-max_tokens', true),
            temperature: num('try-temperature', false) };
        } else if (type === 'generative') {
          path = '/v1/generate';
          body = { model: id, prompt: $('#try-prompt').value, max_tokens: num('try-max_tokens', true), temperature: num('try-temperature', false),
            return_likelihoods: 'GENERATION' };
        } else if (type === 'rerank') {
          path = '/v2/rerank';
          body = { model: id, query: $('#try-query').value, documents: lines('try-documents') };
        } else {
          path = '/v1/classify';
          body = { model: id, inputs: lines('try-inputs') };
        }
      } catch (bad) {
        const t = placeError(bad.message, FIELDS, 'try-error');
        if (t) t.focus();
        return;
      }
      const submit = $('#try-submit');
      submit.disabled = true;
      answer.textContent = '…';
      extra.replaceChildren();
      try {
        const r = await api('POST', path, body);
        showAnswer(type, r, body, answer, extra);
        announce('Answer ready');
      } catch (err) {
        answer.textContent = '';
        const t = placeError(err.message, FIELDS, 'try-error');
        if (t) t.focus();
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  function showAnswer(type, r, body, answer, extra) {
    if (type === 'chat') {
      answer.textContent = (r.message.content || []).map((c) => c.text).join('');
      extra.append(h('p', { class: 'hint' }, 'finish reason ' + r.finish_reason + ', ' + fmtInt(r.usage.tokens.input_tokens) + ' input and '
        + fmtInt(r.usage.tokens.output_tokens) + ' output tokens'));
    } else if (type === 'generative') {
      const g = r.generations[0];
      answer.textContent = g.text;
      extra.append(h('p', { class: 'hint' }, 'average log-likelihood ' + fmtNum(g.likelihood) + ', finish reason ' + g.finish_reason),
        h('div', { class: 'table-wrap' }, h('table', { id: 'try-likelihoods' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Token'), h('th', { scope: 'col' }, 'Log-likelihood'))),
          h('tbody', {}, (g.token_likelihoods || []).map((t) => h('tr', {}, h('td', { class: 'mono' }, JSON.stringify(t.token)),
            h('td', { class: 'n' }, fmtNum(t.likelihood))))))));
    } else if (type === 'rerank') {
      answer.replaceChildren(h('ol', { id: 'try-ranking' }, r.results.map((x) => h('li', {}, body.documents[x.index], ' ',
        h('span', { class: 'muted' }, '(relevance ' + fmtNum(x.relevance_score) + ')')))));
    } else {
      answer.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { id: 'try-classes' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Text'), h('th', { scope: 'col' }, 'Prediction'), h('th', { scope: 'col' }, 'Confidence'))),
        h('tbody', {}, r.classifications.map((c) => h('tr', {}, h('td', { class: 'wrap' }, c.input),
          h('td', {}, (c.predictions || []).join(', ') || '—'), h('td', { class: 'n' }, (c.confidences || []).map((x) => fmtNum(x, 3)).join(', '))))))));
    }
  }

  // ---------------------------------------------------------------------------------------- lists

  function modelsPage(view) {
    title(view, 'Models');
    const box = h('div', { id: 'models-box' }, h('p', { class: 'muted' }, 'Loading…'));
    const err = h('p', { class: 'error', id: 'models-error', role: 'alert' });
    view.append(h('p', {}, h('a', { href: '#/new', class: 'button' }, 'New fine-tune')), err, box);
    const load = async () => {
      try {
        const list = await allPages('/v1/finetuning/finetuned-models', 'finetuned_models', 1000);
        box.replaceChildren(list.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'models' },
          h('thead', {}, h('tr', {}, ['Name', 'Status', 'Base type', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, list.map((m) => h('tr', { 'data-id': m.id },
            h('td', {}, h('a', { href: '#/models/' + encodeURIComponent(m.id) }, m.name)), h('td', { class: 'status ' + m.status }, m.status),
            h('td', {}, m.settings.base_model.base_type), h('td', {}, fmtTime(m.created_at)),
            h('td', {}, h('button', { type: 'button', class: 'small danger', 'data-delete': m.id, 'aria-label': 'Delete model ' + m.name,
              onclick: () => remove(m) }, 'Delete')))))))
          : h('p', { class: 'muted' }, 'No models yet.'));
      } catch (e) {
        err.textContent = e.message;
      }
    };
    const remove = async (m) => {
      if (!(await confirmDelete('Delete model ' + m.name + '?', 'This deletes the model ' + m.id
        + ' and every file of it (weights, checkpoints, metrics). A running fine-tune stops.'))) return;
      try {
        await api('DELETE', '/v1/finetuning/finetuned-models/' + encodeURIComponent(m.id));
        announce('Model ' + m.name + ' deleted');
        await load();
        $('#page-title').focus();
      } catch (e) { err.textContent = e.message; }
    };
    load();
  }

  function datasetsPage(view) {
    title(view, 'Datasets');
    const box = h('div', { id: 'datasets-box' }, h('p', { class: 'muted' }, 'Loading…'));
    const err = h('p', { class: 'error', id: 'datasets-error', role: 'alert' });
    view.append(err, box);
    const load = async () => {
      try {
        const list = (await api('GET', '/v1/datasets?limit=1000')).datasets || [];
        box.replaceChildren(list.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'datasets' },
          h('thead', {}, h('tr', {}, ['Name', 'Type', 'Status', 'Rows (train / eval)', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, list.map((d) => {
            const parts = d.dataset_parts || [];
            const rows = parts.map((p) => fmtInt(p.num_rows)).join(' / ') || '—';
            return h('tr', { 'data-id': d.id },
              h('td', {}, h('a', { href: '#/datasets/' + encodeURIComponent(d.id) }, d.name)), h('td', {}, d.dataset_type),
              h('td', { class: 'status ' + d.validation_status }, d.validation_status), h('td', { class: 'n' }, rows),
              h('td', {}, fmtTime(d.created_at)),
              h('td', {}, h('button', { type: 'button', class: 'small danger', 'data-delete': d.id, 'aria-label': 'Delete dataset ' + d.name,
                onclick: () => remove(d) }, 'Delete')));
          })))) : h('p', { class: 'muted' }, 'No datasets yet.'));
      } catch (e) {
        err.textContent = e.message;
      }
    };
    const remove = async (d) => {
      if (!(await confirmDelete('Delete dataset ' + d.name + '?', 'This deletes the dataset ' + d.id
        + ' and its stored files. Models trained on it keep their weights. The audit trail records the deletion.'))) return;
      try {
        await api('DELETE', '/v1/datasets/' + encodeURIComponent(d.id));
        announce('Dataset ' + d.name + ' deleted');
        await load();
        $('#page-title').focus();
      } catch (e) { err.textContent = e.message; }
    };
    load();
  }

  function datasetPage(view, id) {
    title(view, 'Dataset');
    const box = h('div', { id: 'dataset-box' });
    view.append(box);
    poll(async () => {
      const d = (await api('GET', '/v1/datasets/' + encodeURIComponent(id))).dataset;
      $('#page-title').textContent = d.name;
      const done = d.validation_status === 'validated' || d.validation_status === 'failed';
      box.replaceChildren(h('p', { class: 'muted' }, h('span', { class: 'mono' }, d.id), ' · ', d.dataset_type, ' · created ', fmtTime(d.created_at)),
        requirementsPanel(d), d.validation_status === 'validated' ? reviewPanel(d) : null,
        d.validation_status === 'validated' ? h('p', {}, h('a', { class: 'button', href: '#/new/dataset/' + encodeURIComponent(d.id) },
          'Fine-tune on this dataset')) : null);
      return !done;
    }, POLL_MS, (e) => { box.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message)); });
  }

  function auditPage(view) {
    title(view, 'Audit trail');
    view.append(h('p', {}, 'One record per dataset upload, deletion and purge, newest first: who, when, the upload\'s SHA-256 and size, '
      + 'the counts and the personal data found by type (never the values).'));
    const box = h('div', { id: 'audit-box' }, h('p', { class: 'muted' }, 'Loading…'));
    view.append(box);
    api('GET', '/v1/audit').then((r) => {
      const recs = (r.records || []).slice().reverse();
      const cols = ['time', 'action', 'dataset_id', 'dataset_name', 'dataset_type', 'os_user', 'validation_status', 'train_examples',
        'eval_examples', 'pii_policy', 'pii_findings', 'train_bytes', 'train_sha256', 'eval_bytes', 'eval_sha256', 'retain_until'];
      const label = { time: 'Time', action: 'Action', dataset_id: 'Dataset', dataset_name: 'Name', dataset_type: 'Type', os_user: 'User',
        validation_status: 'Status', train_examples: 'Train rows', eval_examples: 'Eval rows', pii_policy: 'PII policy',
        pii_findings: 'PII found (by type)', train_bytes: 'Train bytes', train_sha256: 'Train SHA-256', eval_bytes: 'Eval bytes',
        eval_sha256: 'Eval SHA-256', retain_until: 'Kept until', other: 'Other' };
      const known = new Set(cols);
      cols.push('other');
      const val = (rec, c) => {
        const v = rec[c];
        if (c === 'other') {
          return Object.entries(rec).filter(([k]) => !known.has(k)).map(([k, x]) => k + ' ' + (typeof x === 'object' ? JSON.stringify(x) : x)).join(', ');
        }
        if (v === undefined || v === null) return '';
        if (c === 'time' || c === 'retain_until') return fmtTime(v);
        if (typeof v === 'object') return Object.entries(v).map(([k, n]) => k + ' ' + (typeof n === 'object' ? JSON.stringify(n) : n)).join(', ');
        return String(v);
      };
      box.replaceChildren(recs.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'audit' },
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, label[c])))),
        h('tbody', {}, recs.map((rec) => h('tr', { class: 'audit' }, cols.map((c) => h('td', { class: c.endsWith('sha256') ? 'mono wrap' : /bytes|examples/.test(c) ? 'n' : 'wrap', 'data-col': c },
          val(rec, c)))))))) : h('p', { class: 'muted' }, 'No records yet.'));
    }, (e) => failure(box, e));
  }

  // ------------------------------------------------------------------------------------------ start

  document.addEventListener('DOMContentLoaded', () => {
    $('#login-form').addEventListener('submit', signIn);
    $('#sign-out').addEventListener('click', () => signOut(''));
    $('#skip').addEventListener('click', (e) => {
      e.preventDefault();
      const t = $('#page-title') || $('#main');
      t.focus();
    });
    window.addEventListener('hashchange', route);
    route();
  });
}());
