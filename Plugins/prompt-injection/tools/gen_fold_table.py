#!/usr/bin/env python3
"""Generate pi_fold_table.c: the code-point folding table of the prompt-injection detector.

Why a generated table: the plugin is libc-only C, so it cannot call an ICU/NFKC library at run time. The
table holds, for every non-ASCII code point the detector cares about, the ASCII text it folds to (or ""
for invisible characters that are dropped). It is derived from Python's unicodedata (NFKC/NFKD, the
Unicode version of the Python that runs this script) plus a hand-written homoglyph list (Cyrillic, Greek
and other look-alikes that NFKC leaves alone on purpose).

Run:  python3 tools/gen_fold_table.py > pi_fold_table.c   (from Plugins/prompt-injection/)
The output is deterministic; commit it. Combining marks and the tag block are handled by range checks in
pi_normalize.c, not by this table.
"""
import sys
import unicodedata

# NFKC/NFKD-derived ranges: Latin-1 .. Latin Extended-B, IPA, phonetic extensions, Latin Extended
# Additional, punctuation, super/subscripts, letterlike symbols, number forms, enclosed alphanumerics,
# CJK compatibility, fullwidth forms, mathematical alphanumerics, enclosed alphanumeric supplement.
RANGES = [
    (0x00A0, 0x024F), (0x0250, 0x02FF), (0x1D00, 0x1DBF), (0x1E00, 0x1EFF), (0x2000, 0x206F),
    (0x2070, 0x209F), (0x2100, 0x218F), (0x2460, 0x24FF), (0x2C60, 0x2C7F), (0x3000, 0x3000),
    (0x3200, 0x33FF), (0xA730, 0xA7FF), (0xFB00, 0xFB06), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF),
    (0x1F100, 0x1F1FF),
]

# Invisible or formatting characters that are removed (zero-width, bidi controls, soft hyphen, fillers,
# variation selectors). The tag block U+E0000.. is handled in code (its text is scanned separately).
DROP = [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
DROP += list(range(0x180B, 0x1810)) + list(range(0x200B, 0x2010)) + list(range(0x202A, 0x202F))
DROP += list(range(0x2060, 0x2065)) + list(range(0x2066, 0x2070)) + list(range(0xFE00, 0xFE10))
DROP += list(range(0x1BCA0, 0x1BCA4)) + list(range(0x1D173, 0x1D17B))

SPACE = [0x00A0, 0x1680, 0x202F, 0x205F, 0x3000] + list(range(0x2000, 0x200B))
NEWLINE = [0x0085, 0x2028, 0x2029]

# Homoglyphs NFKC keeps distinct (Unicode confusables, restricted to letters that pass for Latin ones).
HOMOGLYPHS = {
    # Cyrillic
    0x0410: "A", 0x0412: "B", 0x0415: "E", 0x041A: "K", 0x041C: "M", 0x041D: "H", 0x041E: "O", 0x0420: "P",
    0x0421: "C", 0x0422: "T", 0x0423: "Y", 0x0425: "X", 0x0405: "S", 0x0406: "I", 0x0407: "I", 0x0408: "J",
    0x0430: "a", 0x0432: "b", 0x0435: "e", 0x043A: "k", 0x043C: "m", 0x043D: "h", 0x043E: "o", 0x0440: "p",
    0x0441: "c", 0x0442: "t", 0x0443: "y", 0x0445: "x", 0x0455: "s", 0x0456: "i", 0x0457: "i", 0x0458: "j",
    0x0451: "e", 0x0401: "E", 0x0461: "w", 0x0475: "v", 0x0474: "V", 0x04AE: "Y", 0x04AF: "y", 0x04BB: "h",
    0x04BA: "H", 0x04C0: "I", 0x04CF: "l", 0x0501: "d", 0x051B: "q", 0x051D: "w", 0x051C: "W", 0x0433: "r",
    0x0491: "r", 0x0454: "e", 0x0404: "E", 0x0431: "b", 0x044C: "b", 0x0417: "3", 0x0437: "3", 0x0447: "4",
    0x043F: "n", 0x0438: "u", 0x0439: "u", 0x044A: "b", 0x0413: "r", 0x041F: "n", 0x0418: "N",
    # Greek
    0x0391: "A", 0x0392: "B", 0x0395: "E", 0x0396: "Z", 0x0397: "H", 0x0399: "I", 0x039A: "K", 0x039C: "M",
    0x039D: "N", 0x039F: "O", 0x03A1: "P", 0x03A4: "T", 0x03A5: "Y", 0x03A7: "X", 0x03B1: "a", 0x03B2: "b",
    0x03B3: "y", 0x03B5: "e", 0x03B9: "i", 0x03BA: "k", 0x03BD: "v", 0x03BF: "o", 0x03C1: "p", 0x03C4: "t",
    0x03C5: "u", 0x03C7: "x", 0x03C9: "w", 0x03F2: "c", 0x03F3: "j", 0x03DC: "F", 0x03B7: "n", 0x03BC: "u",
    0x03C3: "o", 0x03C2: "c", 0x03F9: "C", 0x037F: "J",
    # Latin letters with strokes / variants that have no decomposition
    0x00D8: "O", 0x00F8: "o", 0x0110: "D", 0x0111: "d", 0x0141: "L", 0x0142: "l", 0x0126: "H", 0x0127: "h",
    0x0166: "T", 0x0167: "t", 0x0131: "i", 0x0237: "j", 0x0192: "f", 0x0180: "b", 0x01E5: "g", 0x0268: "i",
    0x0261: "g", 0x0251: "a", 0x0269: "i", 0x0280: "R", 0x0274: "N", 0x028F: "Y", 0x0299: "B", 0x029C: "H",
    0x0262: "G", 0x026A: "I", 0x029F: "L", 0x0250: "a", 0x0254: "o", 0x0259: "e", 0x025B: "e", 0x0263: "y",
    0x0265: "h", 0x026F: "m", 0x0271: "m", 0x0272: "n", 0x0273: "n", 0x0275: "o", 0x027E: "r", 0x0282: "s",
    0x0288: "t", 0x028B: "v", 0x028C: "v", 0x028D: "w", 0x0290: "z", 0x0291: "z", 0x00DF: "ss", 0x00C6: "AE",
    0x00E6: "ae", 0x0152: "OE", 0x0153: "oe", 0x00DE: "TH", 0x00FE: "th", 0x00D0: "D", 0x00F0: "d",
    0x1D00: "A", 0x1D04: "C", 0x1D05: "D", 0x1D07: "E", 0x1D0A: "J", 0x1D0B: "K", 0x1D0D: "M", 0x1D0F: "O",
    0x1D18: "P", 0x1D1B: "T", 0x1D1C: "U", 0x1D20: "V", 0x1D21: "W", 0x1D22: "Z", 0xA731: "S", 0xA730: "F",
    0xA7AE: "I", 0x1D26: "r", 0x1D29: "P",
    # Typographic punctuation that hides ASCII punctuation
    0x2018: "'", 0x2019: "'", 0x201A: ",", 0x201B: "'", 0x201C: '"', 0x201D: '"', 0x201E: '"', 0x201F: '"',
    0x2032: "'", 0x2033: '"', 0x2010: "-", 0x2011: "-", 0x2012: "-", 0x2013: "-", 0x2014: "-", 0x2015: "-",
    0x2212: "-", 0x2044: "/", 0x2215: "/", 0x2223: "|", 0x2758: "|", 0x2039: "<", 0x203A: ">", 0x2329: "<",
    0x232A: ">", 0x27E8: "<", 0x27E9: ">", 0x3008: "<", 0x3009: ">", 0xFE64: "<", 0xFE65: ">",
    0x00AB: '"', 0x00BB: '"', 0x2024: ".", 0x2027: ".", 0x00B7: ".", 0x2022: "*", 0x2043: "-",
}
# Negative circled / negative squared capital letters and regional indicators pass for letters.
for i in range(26):
    HOMOGLYPHS[0x1F150 + i] = chr(ord("A") + i)
    HOMOGLYPHS[0x1F170 + i] = chr(ord("A") + i)
    HOMOGLYPHS[0x1F1E6 + i] = chr(ord("A") + i)


def utf8_len(cp):
    return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4


def derived(cp):
    """ASCII text that NFKC (then NFKD minus combining marks) gives for cp, or None."""
    ch = chr(cp)
    for form in ("NFKC", "NFKD"):
        s = unicodedata.normalize(form, ch)
        s = "".join(c for c in s if not unicodedata.combining(c))
        # Parenthesised / circled forms like "(a)" or "a." read as the letter itself.
        if len(s) == 3 and s[0] == "(" and s[2] == ")":
            s = s[1]
        if len(s) == 2 and s[1] == "." and s[0].isalnum():
            s = s[0]
        if s and all(0x20 <= ord(c) < 0x7F for c in s) and s != ch:
            return s
    return None


def main():
    table = {}
    for lo, hi in RANGES:
        for cp in range(lo, hi + 1):
            s = derived(cp)
            if s is not None:
                table[cp] = s
    # Code points NFKC already folds keep that folding when homoglyph detection is switched off.
    derived_cps = set(table)
    table.update(HOMOGLYPHS)
    for cp in SPACE:
        table[cp] = " "
    for cp in NEWLINE:
        table[cp] = "\n"
    for cp in DROP:
        table[cp] = ""
    rows = []
    for cp in sorted(table):
        s = table[cp]
        # The folded text may never be longer than the UTF-8 it replaces: the normaliser writes in place
        # of its input size, so its output buffer can be sized from the input.
        if len(s) > utf8_len(cp) or len(s) > 3:
            continue
        rows.append((cp, s, 1 if cp in HOMOGLYPHS and cp not in derived_cps else 0))
    out = sys.stdout
    out.write("/* pi_fold_table.c: GENERATED by tools/gen_fold_table.py (Unicode %s). Do not edit by hand.\n"
              " * Sorted by code point; `to` is the ASCII text the code point folds to, \"\" = removed;\n"
              " * `homoglyph` marks look-alike foldings NFKC does not make (off with detect_homoglyphs: false). */\n"
              % unicodedata.unidata_version)
    out.write('#include "pi_fold_table.h"\n\n')
    out.write("const pi_fold_entry pi_fold_table[] = {\n")
    for cp, s, homoglyph in rows:
        esc = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        out.write('    {0x%05X, "%s", %d},\n' % (cp, esc, homoglyph))
    out.write("};\n\nconst size_t pi_fold_table_len = sizeof(pi_fold_table) / sizeof(pi_fold_table[0]);\n")


if __name__ == "__main__":
    main()
