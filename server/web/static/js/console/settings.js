// The school's settings: the age of digital consent and how long records
// are kept, through PATCH /v1/school (as `consent school set`).

import { $, api, clearError, reveal, showAdminError } from "./admin.js";

async function load() {
  try {
    const school = await api("GET", "/v1/school");
    $("school-name").textContent = school.name;
    $("age").value = school.digital_consent_age;
    $("retention").value = school.retention_days;
  } catch (error) {
    showAdminError(error);
  }
}

$("settings").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  $("done").hidden = true;
  const number = (id) => (/^\d+$/.test($(id).value.trim()) ? Number($(id).value.trim()) : -1);
  try {
    const school = await api("PATCH", "/v1/school", {
      digital_consent_age: number("age"),
      retention_days: number("retention"),
    });
    $("age").value = school.digital_consent_age;
    $("retention").value = school.retention_days;
    reveal($("done"), true);
  } catch (error) {
    showAdminError(error);
  }
});

load();
