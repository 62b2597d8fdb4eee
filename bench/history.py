"""History benchmark on the sample "year" group (~19k changes), beside the naive way in the same run.

    .venv/bin/python bench/history.py

Figures: building the change index once, one record's last 50 changes (a much-edited member, an
item), the group's 50 latest changes, and undo; beside them the raw baseline of reading history
the naive way, one `diff()` per change (timed over 50 changes and scaled to the whole history).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from magnet import history  # noqa: E402
from magnet.document import GroupDocument  # noqa: E402
from magnet.sample import SIZES, populate  # noqa: E402

DEVICE = "ab" * 16


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms"


def timed(action: object, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    print("building the year-sized sample (takes a while)…", flush=True)
    doc = GroupDocument.create("Year", device_id=DEVICE, group_id="cd" * 16)
    populate(doc, SIZES["year"], seed=7, today=date(2026, 6, 1))
    doc = GroupDocument.load(doc.save(), device_id=DEVICE)  # as a device opens it: nothing cached
    changes = doc.change_count()
    members = doc.members.all()
    busiest = members[0]  # the sample's small edits touch every member many times over a year
    start = time.perf_counter()
    doc.with_automerge(lambda raw: history.change_index(doc, raw))
    index_time = time.perf_counter() - start
    member_time = timed(lambda: history.record_history(doc, "members", busiest.id))
    item = doc.inventory.all()[0]
    item_time = timed(lambda: history.record_history(doc, "inventory", item.id))
    recent_time = timed(lambda: history.recent_changes(doc, limit=50), runs=3)
    doc.members.update(busiest.id, notes="bench undo")
    edit = history.record_history(doc, "members", busiest.id)[0]
    undo_time = timed(lambda: history.undo(doc, edit, device_id=DEVICE), runs=1)

    def naive() -> None:
        raw = doc.with_automerge(lambda found: found)  # a bench: reads only, nothing else runs
        for change in raw.get_changes([])[-50:]:
            raw.diff(list(change.deps), [change.hash])

    naive_time = timed(naive, runs=1)
    print(f"year sample: {changes:,} changes, {len(members)} members")
    print(f"change index, built once per open    {ms(index_time)}")
    edits = len(history.record_history(doc, "members", busiest.id))
    print(f"a member's history ({edits} changes)     {ms(member_time)}")
    print(f"an item's history                    {ms(item_time)}")
    print(f"the group's 50 latest changes        {ms(recent_time)}")
    print(f"undo of one change                   {ms(undo_time)}")
    print(f"raw baseline: one diff per change    {ms(naive_time / 50)} each;")
    print(f"  walking all {changes:,} that way      {naive_time / 50 * changes:9.1f} s")


if __name__ == "__main__":
    main()
