// GOV.UK Frontend's components, then the task form's conditional fields.
import { initAll } from '/vendor/govuk/govuk-frontend.min.js'

initAll()

// conditional.hide for the simple forms the processes use: `=name = "x"`, `=name != "x"`,
// `=not(name)`, `=name` (and/or of these). Anything else keeps the server's decision.
function valueOf (form, name) {
  const inputs = form.querySelectorAll(`[name="${CSS.escape(name)}"]`)
  if (!inputs.length) return undefined
  const first = inputs[0]
  if (first.type === 'radio') {
    const chosen = form.querySelector(`[name="${CSS.escape(name)}"]:checked`)
    return chosen ? chosen.value : null
  }
  if (first.type === 'checkbox') {
    if (inputs.length === 1 && first.value === 'true') return first.checked
    return Array.from(inputs).filter((i) => i.checked).map((i) => i.value)
  }
  return first.value
}

function compile (source) {
  const text = source.replace(/^=/, '').trim()
  const parts = text.split(/\s+(and|or)\s+/)
  const terms = []
  for (let i = 0; i < parts.length; i += 2) {
    const part = parts[i].trim()
    let m = part.match(/^([A-Za-z_][\w.]*)\s*(!=|=)\s*"([^"]*)"$/)
    if (m) { terms.push([parts[i - 1], (f) => ((valueOf(f, m[1]) === m[3]) === (m[2] === '='))]); continue }
    m = part.match(/^([A-Za-z_][\w.]*)\s*(!=|=)\s*(true|false)$/)
    if (m) { terms.push([parts[i - 1], (f) => ((String(valueOf(f, m[1])) === m[3]) === (m[2] === '='))]); continue }
    m = part.match(/^not\(\s*([A-Za-z_][\w.]*)\s*\)$/)
    if (m) { terms.push([parts[i - 1], (f) => !valueOf(f, m[1])]); continue }
    m = part.match(/^([A-Za-z_][\w.]*)$/)
    if (m) { terms.push([parts[i - 1], (f) => Boolean(valueOf(f, m[1]))]); continue }
    return null
  }
  return (f) => terms.reduce((acc, [op, test]) => (op === 'or' ? acc || test(f) : op === 'and' ? acc && test(f) : test(f)), false)
}

for (const form of document.querySelectorAll('form[data-task-form]')) {
  const conditional = Array.from(form.querySelectorAll('[data-hide]'))
    .map((el) => [el, compile(el.dataset.hide)]).filter(([, test]) => test)
  const update = () => { for (const [el, test] of conditional) el.hidden = test(form) }
  if (conditional.length) form.addEventListener('change', update)
}
