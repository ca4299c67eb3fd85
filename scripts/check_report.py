#!/usr/bin/env python3
"""Open report.html in headless Chromium and check it renders with every image loaded.

Usage: scripts/check_report.py REPORT.html [SCREENSHOT.png]

Checks: (1) every <img> is an embedded PNG data URI that decodes to a valid PNG with a
non-empty size, and nothing references an external resource; (2) Chromium renders the page
without console errors, and reports every image complete with a natural width > 0 (a small
script is added to a temporary copy of the page and its result read back from the DOM dump).
Exit code 0 when all checks pass. Needs Debian's `chromium` (apt-get install chromium).
"""
import base64, re, shutil, struct, subprocess, sys, tempfile, os

def fail(msg):
    print(f"check_report: FAIL: {msg}")
    sys.exit(1)

def main():
    if len(sys.argv) < 2:
        fail("usage: check_report.py REPORT.html [SCREENSHOT.png]")
    path = sys.argv[1]
    html = open(path, encoding="utf-8").read()
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)
    if not srcs:
        fail("no images in the report")
    for i, s in enumerate(srcs):
        if not s.startswith("data:image/png;base64,"):
            fail(f"image {i} is not an embedded PNG: {s[:60]}")
        png = base64.b64decode(s.split(",", 1)[1])
        if png[:8] != b"\x89PNG\r\n\x1a\n":
            fail(f"image {i} is not a PNG")
        w, h = struct.unpack(">II", png[16:24])
        if w == 0 or h == 0:
            fail(f"image {i} has size {w}x{h}")
    if re.search(r'(src|href)="(https?:|file:|//)', html):
        fail("the report references an external resource")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        fail("chromium not found (apt-get install chromium)")
    probe = ("<script>window.addEventListener('load',()=>{const im=[...document.images];"
             "const ok=im.filter(i=>i.complete&&i.naturalWidth>0).length;"
             "document.body.setAttribute('data-images',ok+'/'+im.length);});</script>")
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "report.html")
        open(copy, "w", encoding="utf-8").write(html.replace("</body>", probe + "</body>"))
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp}/profile", "--virtual-time-budget=5000"]
        dom = subprocess.run([chromium, *flags, "--enable-logging=stderr", "--v=0", "--dump-dom",
                              "file://" + copy], capture_output=True, text=True, timeout=120)
        m = re.search(r'data-images="(\d+)/(\d+)"', dom.stdout)
        if not m:
            fail(f"Chromium did not render the page: {dom.stderr[-500:]}")
        ok, total = int(m.group(1)), int(m.group(2))
        if ok != total or total != len(srcs):
            fail(f"only {ok} of {total} images loaded")
        errors = [l for l in dom.stderr.splitlines() if "CONSOLE" in l and ("Uncaught" in l or "Error" in l)]
        if errors:
            fail("console errors: " + " | ".join(errors[:5]))
        if len(sys.argv) > 2:
            subprocess.run([chromium, *flags, "--window-size=1280,4000",
                            f"--screenshot={os.path.abspath(sys.argv[2])}", "file://" + os.path.abspath(path)],
                           capture_output=True, timeout=120)
    print(f"check_report: ok: {ok} of {total} images loaded, no console errors ({path})")

if __name__ == "__main__":
    main()
