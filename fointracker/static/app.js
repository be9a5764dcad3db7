// Small progressive enhancements only; every page works without JavaScript.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) event.preventDefault();
});

// Timeline form: show only the detail fields that the chosen kind of event carries.
function syncEventFields(form) {
  const kind = form.querySelector("select[name=kind]");
  if (!kind) return;
  form.querySelectorAll("[data-for-kinds]").forEach((box) => {
    box.hidden = !box.dataset.forKinds.split(" ").includes(kind.value);
  });
}
document.querySelectorAll("form.event-form").forEach((form) => {
  syncEventFields(form);
  form.addEventListener("change", (event) => {
    if (event.target.name === "kind") syncEventFields(form);
  });
});

// The navigation folds behind "Menu" on a narrow screen (app.css hides .site-menu there until opened).
document.querySelectorAll(".menu-button").forEach((button) => {
  const menu = document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  document.documentElement.classList.add("menu-ready");
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
});
