// Selections and batch creation. Progressive enhancement only: without JavaScript the
// buttons stay hidden and the forms post normally.
(() => {
  "use strict";

  // ---------------------------------------------------------- ticking many boxes

  // "Select all" / "Select none" buttons, and a live count of the ticked boxes.
  document.querySelectorAll("[data-select-buttons]").forEach((bar) => {
    const form = bar.closest("form");
    const boxes = () => Array.from(form.querySelectorAll("input[type=checkbox][data-pick]"));
    const count = bar.querySelector("[data-selected-count]");
    const showCount = () => {
      if (count) count.textContent = `${boxes().filter((b) => b.checked).length} of ${boxes().length} ticked`;
    };
    bar.hidden = false;
    bar.addEventListener("click", (event) => {
      const button = event.target.closest("[data-select]");
      if (!button) return;
      boxes().forEach((box) => { box.checked = button.dataset.select === "all"; });
      showCount();
    });
    form.addEventListener("change", (event) => {
      if (event.target.matches("[data-pick]")) showCount();
    });
    showCount();
  });

  // A "select all on this page" checkbox in a table head.
  document.querySelectorAll("input[data-select-all]").forEach((all) => {
    const form = all.closest("form");
    const boxes = () => Array.from(form.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`));
    const sync = () => {
      const ticked = boxes().filter((b) => b.checked).length;
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    };
    const box = all.closest("[data-select-all-box]");
    if (box) box.hidden = false;
    all.addEventListener("change", () => {
      boxes().forEach((b) => { b.checked = all.checked; });
      sync();
    });
    form.addEventListener("change", (event) => {
      if (event.target !== all && event.target.name === all.dataset.selectAll) sync();
    });
    sync();
  });

  // ---------------------------------------------------------- batch creation in chunks

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  document.querySelectorAll("form[data-batch-create]").forEach((form) => {
    const progress = form.querySelector("[data-batch-progress]");
    const status = form.querySelector("[data-batch-status]");
    const buttons = form.querySelector("[data-batch-buttons]");
    const chunkSize = Number(form.dataset.chunkSize) || 25;
    const toCreate = Number(form.dataset.toCreate) || 0;

    const say = (text, state) => {
      status.className = `batch-status ${state || ""}`.trim();
      status.textContent = text;
    };

    async function postChunk(ids, fields) {
      const response = await fetch(form.dataset.createUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": form.querySelector("input[name=csrf_token]").value,
        },
        body: JSON.stringify({ ...fields, authority_ids: ids }),
      });
      let body = null;
      try { body = await response.json(); } catch (_) { /* an HTML error page */ }
      if (!response.ok) {
        const reason = (body && body.error) || (response.status === 400
          ? "the page has expired; reload it and try again" : `the server answered ${response.status}`);
        throw new Error(reason);
      }
      if (!body) throw new Error("you seem to have been logged out; log in again in another tab, then retry");
      return body;
    }

    form.addEventListener("submit", async (event) => {
      if (!event.submitter || event.submitter.value !== "create") return; // "Back" posts normally
      event.preventDefault();
      const ids = Array.from(form.querySelectorAll("input[name=authority_ids]"), (input) => Number(input.value));
      const allowDuplicates = Boolean(form.querySelector("input[name=allow_duplicates]"));
      const fields = {
        subject: form.querySelector("input[name=subject]").value,
        sent_on: form.querySelector("input[name=sent_on]").value || null,
        owner_id: form.querySelector("input[name=owner_id]").value || null,
        allow_duplicates: allowDuplicates,
      };
      buttons.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      progress.hidden = false;
      progress.max = ids.length;
      progress.value = 0;
      let created = 0;
      const skipped = [];
      say(`Created 0 of ${toCreate}…`);
      for (let start = 0; start < ids.length; start += chunkSize) {
        const chunk = ids.slice(start, start + chunkSize);
        let result;
        try {
          result = await postChunk(chunk, fields);
        } catch (error) {
          say(`Stopped after creating ${plural(created, "request")}: ${error.message}. ` +
              "Nothing from the failed group was saved. " +
              (allowDuplicates ? "" : "Running it again is safe: councils already asked are skipped."), "failed");
          buttons.querySelectorAll("button").forEach((b) => { b.disabled = false; });
          return;
        }
        created += result.created;
        skipped.push(...result.skipped_councils);
        progress.value = Math.min(ids.length, start + chunk.length);
        say(`Created ${created} of ${toCreate}…`);
      }
      buttons.hidden = true;
      say(`Done: created ${plural(created, "request")}.` +
          (skipped.length ? ` Skipped ${skipped.length} already asked in this campaign: ${skipped.join(", ")}.` : "") + " ",
          "done");
      const link = document.createElement("a");
      link.href = form.dataset.listUrl;
      link.textContent = "See them in the request list";
      status.append(link);
      link.focus();
    });
  });
})();
