"""Benchmark: `handouts batch` against the naive full render per patient.

    python bench/batch.py [-n 200] [-j 2] [--naive 8] [--mix first-visit|returning]

Generates N synthetic appointments (names in several scripts), runs the real CLI
(`handouts batch -j J`) on them in a subprocess, and renders a sample of the same patients the
naive way (a fresh builder per patient: every document laid out and written from scratch, one
process). Prints packets per second for both, the ratio, peak memory per process, pages and
size per packet. Timings only; nothing here is a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from handouts.config import COLUMN_KEYS

ROOT = Path(__file__).resolve().parent.parent
GIVEN = [
    "Zoë",
    "Δημήτριος",
    "Ольга",
    "Nguyễn Thị",
    "Siobhán",
    "Jürgen",
    "Amélie",
    "Łucja",
    "Sam",
    "Priya",
]
FAMILY = [
    "Łukasiewicz-Ó Briain",
    "Παπαδόπουλος",
    "Иванова",
    "Trần",
    "O'Connor",
    "Müller",
    "Dubois",
    "Nowak",
    "Smith",
    "Raman",
]


def write_appointments(path: Path, count: int, mix: str) -> None:
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMN_KEYS)
        for i in range(count):
            minutes = 8 * 60 + (i * 5) % (10 * 60)
            treatments = "dry-needling" if mix == "first-visit" else "exercise-programmes"
            writer.writerow(
                [
                    f"B-{i:05d}",
                    rng.choice(GIVEN),
                    rng.choice(FAMILY),
                    f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    f"patient{i}@example.org",
                    "en",
                    f"2026-12-01T{minutes // 60:02d}:{minutes % 60:02d}:00",
                    "Sam Okafor, Physiotherapist",
                    "Room 2",
                    treatments,
                    "true" if mix == "first-visit" else "false",
                ]
            )


def naive(appointments: Path, sample: int) -> tuple[float, int]:
    """Seconds per packet for a full render per patient (fresh builder, nothing reused)."""
    from handouts.appointments import parse_rows, read_source
    from handouts.batch import row_to_patient
    from handouts.build import PacketBuilder
    from handouts.config import load_kit
    from handouts.render import RenderOptions

    kit = load_kit(ROOT)
    text, name = read_source(appointments)
    rows = parse_rows(text, name)[:sample]
    patients = [row_to_patient(r, kit) for r in rows]
    PacketBuilder(kit, RenderOptions()).build_packet(patients[0])  # imports and caches warm
    start = time.perf_counter()
    pages = 0
    for patient in patients:
        built = PacketBuilder(kit, RenderOptions()).build_packet(patient)
        pages = built.pages
    return (time.perf_counter() - start) / len(patients), pages


def merge_comparison() -> str:
    """The same laid-out documents merged two ways: pypdf appending separately written PDFs,
    and WeasyPrint copying the pages into one document (what handouts does)."""
    import io

    from pypdf import PdfReader, PdfWriter

    from handouts.build import PacketBuilder
    from handouts.config import load_kit
    from handouts.patient import load_patient
    from handouts.render import RenderOptions

    kit = load_kit(ROOT)
    builder = PacketBuilder(kit, RenderOptions())
    patient = load_patient(ROOT / "examples" / "patients" / "zoe.yaml")
    docs = [
        builder.consent_body(d) if d.kind == "consent" else builder.static_document(d)
        for d in builder.packet_documents(patient)
    ]
    parts = [d.write_pdf(pdf_tags=True) for d in docs]
    start = time.perf_counter()
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    buffer = io.BytesIO()
    writer.write(buffer)
    pypdf_ms = (time.perf_counter() - start) * 1000
    pypdf_pdf = buffer.getvalue()
    start = time.perf_counter()
    copied = docs[0].copy([p for d in docs for p in d.pages]).write_pdf(pdf_tags=True)
    copy_ms = (time.perf_counter() - start) * 1000

    def tagged(data: bytes) -> str:
        root = PdfReader(io.BytesIO(data)).trailer["/Root"]
        return "yes" if "/StructTreeRoot" in root and "/MarkInfo" in root else "no"

    pages = sum(len(d.pages) for d in docs)
    return (
        f"merge:   {pages} static pages: pypdf append of separate PDFs {pypdf_ms:.0f} ms, "
        f"{len(pypdf_pdf) / 1024:.0f} KB, tagged: {tagged(pypdf_pdf)} (plus {len(parts)} "
        f"separate writes); WeasyPrint copy and one write {copy_ms:.0f} ms, "
        f"{len(copied) / 1024:.0f} KB, tagged: {tagged(copied)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="appointments in the batch")
    parser.add_argument("-j", type=int, default=2, help="batch worker processes")
    parser.add_argument("--naive", type=int, default=8, help="patients in the naive sample")
    parser.add_argument("--mix", choices=["first-visit", "returning"], default="first-visit")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        appointments = folder / "appointments.csv"
        write_appointments(appointments, args.n, args.mix)
        out = folder / "out"
        handouts = Path(sys.executable).with_name("handouts")
        start = time.perf_counter()
        proc = subprocess.run(
            [
                str(handouts),
                "batch",
                str(appointments),
                "--kit",
                str(ROOT),
                "--out",
                str(out),
                "-j",
                str(args.j),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        batch_seconds = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"batch failed ({proc.returncode}): {proc.stderr[-2000:]}")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest = json.loads(proc.stdout)
        entries = [e for e in manifest["entries"] if e["status"] == "ok"]
        sizes = [Path(e["path"]).stat().st_size for e in entries]
        pages = entries[0]["pages"]
        naive_seconds, _ = naive(appointments, args.naive)

    batch_rate = len(entries) / batch_seconds
    naive_rate = 1 / naive_seconds
    print(f"packets: {len(entries)} ({args.mix}, {pages} pages each), batch -j {args.j}")
    print(
        f"batch:   {batch_seconds:.1f} s wall, {batch_rate:.2f} packets/s, "
        f"{batch_rate * pages:.0f} pages/s (includes start-up)"
    )
    print(
        f"naive:   {naive_seconds * 1000:.0f} ms a packet, {naive_rate:.2f} packets/s "
        f"(sample of {args.naive}, one process)"
    )
    print(f"ratio:   {batch_rate / naive_rate:.1f}x")
    print(f"memory:  {peak_mb:.0f} MB peak in one process (largest of batch and workers)")
    print(
        f"size:    {sum(sizes) / len(sizes) / 1024:.0f} KB a packet on average, "
        f"{sum(sizes) / len(sizes) / 1024 / pages:.1f} KB a page"
    )
    print(merge_comparison())


if __name__ == "__main__":
    main()
