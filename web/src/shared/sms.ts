/** SMS parts of a text: Persian is UCS-2 (70 characters in one part, 67 per part when split); Latin 160/153. */
export function smsParts(text: string): { chars: number; parts: number } {
  const chars = [...text].length;
  const ucs2 = /[^\u0000-\u007f]/.test(text);
  const one = ucs2 ? 70 : 160;
  const each = ucs2 ? 67 : 153;
  return { chars, parts: chars === 0 ? 0 : chars <= one ? 1 : Math.ceil(chars / each) };
}
