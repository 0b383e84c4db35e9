/** A connection URL fit for logs and messages: the password (and a user's token) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    else if (parsed.username && url.includes('@')) parsed.username = '***';
    return parsed.toString();
  } catch {
    // Not a URL: hide anything between `//` and `@`.
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** Replaces every occurrence of the URL and of its password in a message. */
export function redactSecrets(text: string, url: string): string {
  let out = text.split(url).join(redactUrl(url));
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password.length > 0) out = out.split(password).join('***');
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}
