// The sign-in page: a link an administrator handed over carries the
// one-time code after `#code=` (never sent to the server), so it is filled
// in, ready to submit.

import { $ } from "./common.js";

const code = new URLSearchParams(location.hash.slice(1)).get("code");
if (code) {
  $("code").value = code;
  history.replaceState(null, "", location.pathname + location.search);
}
($("error") ?? $("code")).focus();
