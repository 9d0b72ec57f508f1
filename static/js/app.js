// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form.submit());
  });
  // Show a form part only for the choices it belongs to (data-show-when="field" data-show-values="a b").
  document.querySelectorAll("[data-show-when]").forEach((part) => {
    const control = part.closest("form")?.elements[part.dataset.showWhen];
    if (!control) return;
    const values = part.dataset.showValues.split(" ");
    const update = () => { part.hidden = !values.includes(control.value); };
    control.addEventListener("change", update);
    update();
  });
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("submit", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
});
