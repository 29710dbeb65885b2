// The case's diagram: bpmn-js viewer, tasks waiting now highlighted, completed ones marked.
const container = document.getElementById('diagram')
if (container && window.BpmnJS) {
  const viewer = new window.BpmnJS({ container })
  const response = await fetch(container.dataset.url, { credentials: 'same-origin' })
  try {
    await viewer.importXML(await response.text())
    const canvas = viewer.get('canvas')
    const registry = viewer.get('elementRegistry')
    const mark = (ids, marker) => {
      for (const id of ids.split(' ').filter(Boolean)) {
        if (registry.get(id)) canvas.addMarker(id, marker)
      }
    }
    mark(container.dataset.completed, 'app-completed')
    mark(container.dataset.active, 'app-active')
    canvas.zoom('fit-viewport')
    container.dataset.rendered = 'true'
  } catch (error) {
    container.textContent = 'The diagram could not be shown: ' + error.message
    container.dataset.rendered = 'error'
  }
}
