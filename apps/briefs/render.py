"""A brief's content as plain text: the e-mail body, the logbook entry and what ``manage.py brief`` prints."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone


def _when(value: str | None) -> str:
    if not value:
        return "–"
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")


def _link(path: str) -> str:
    base = getattr(settings, "BRIEF_BASE_URL", "") or ""
    return f"{base.rstrip('/')}{path}" if base and path else path


def title(content: dict, shift_name: str = "") -> str:
    period = content.get("period", {})
    name = f"{shift_name} shift" if shift_name else "Shift"
    return f"{content.get('experiment', '')} {name} brief, {_when(period.get('start'))} to {_when(period.get('end'))}"


def render_text(content: dict, shift_name: str = "", note: str = "", written_by: str | None = None) -> str:
    lines = [title(content, shift_name), ""]
    if note.strip():
        lines += ["For the next shift" + (f" (from {written_by})" if written_by else "") + ":", note.strip(), ""]
    lines += _counts(content)
    lines += _worst_bad(content)
    lines += _unconfirmed_streaks(content)
    for key, heading in (("flickers", "Flickering plot types"), ("alarms", "Alarms")):
        lines += _alarms(content.get(key) or [], heading)
    lines += _activations(content)
    lines += _labels(content)
    lines += _validation_reports(content)
    return "\n".join(lines).rstrip() + "\n"


def _counts(content: dict) -> list[str]:
    runs, plots, cls = content.get("runs", {}), content.get("plots", {}), content.get("classified", {})
    span = f" ({runs['first']} to {runs['last']})" if runs.get("count") else ""
    return [
        f"Runs taken: {runs.get('count', 0)}{span}",
        f"Plots ingested: {plots.get('ingested', 0)}",
        f"Plots classified: {cls.get('total', 0)} ({cls.get('confirmed', 0)} confirmed, "
        f"{cls.get('unconfirmed', 0)} unconfirmed)",
        f"Bad verdicts: {cls.get('bad', 0)} ({cls.get('bad_confirmed', 0)} confirmed)",
        "",
    ]


def _worst_bad(content: dict) -> list[str]:
    bad = content.get("bad", {})
    if not bad.get("worst"):
        return []
    lines = [f"Worst Bad verdicts ({bad.get('plot_types', 0)} plot types):"]
    for item in bad["worst"]:
        sure = "confirmed" if item.get("confirmed") else "unconfirmed"
        head = f"  - {item['plot_type']}, run {item['run']}: {item['confidence']:.2f} {sure}"
        lines.append(f"{head}  {_link(item['url'])}")
    return [*lines, ""]


def _unconfirmed_streaks(content: dict) -> list[str]:
    if not content.get("unconfirmed_streaks"):
        return []
    lines = ["Unconfirmed streaks:"]
    for item in content["unconfirmed_streaks"]:
        lines.append(
            f"  - {item['plot_type']}: {item['runs']} runs in a row, {item['first_run']} to {item['run']}  "
            f"{_link(item['url'])}"
        )
    return [*lines, ""]


def _alarms(items: list[dict], heading: str) -> list[str]:
    if not items:
        return []
    lines = [f"{heading}:"]
    for a in items:
        ack = (
            f"acknowledged by {a['acknowledged_by'] or 'someone'} at {_when(a['acknowledged_at'])}"
            if a.get("acknowledged_at")
            else "not acknowledged"
        )
        if a.get("ack_comment"):
            ack += f' ("{a["ack_comment"]}")'
        lines.append(
            f"  - {a['plot_type']}: {a['reason_display']}, opened {_when(a['opened_at'])}, {ack}, {a['state']}"
        )
    return [*lines, ""]


def _activations(content: dict) -> list[str]:
    if not content.get("activations"):
        return []
    lines = ["Model activations:"]
    for a in content["activations"]:
        # No user: the quality gate activated the model when its training ended.
        who = f"by {a['by']}" if a["by"] else "automatically (quality gate)"
        lines.append(
            f"  - {a['plot_type']}: {a['previous'] or 'none'} -> {a['model'] or 'none'} {who} at {_when(a['at'])}"
        )
    return [*lines, ""]


def _labels(content: dict) -> list[str]:
    labels = content.get("labels", {})
    lines = [f"Labels: {labels.get('total', 0)}"]
    for p in labels.get("by_person", []):
        lines.append(f"  - {p['user']}: {p['labels']}")
    return [*lines, ""]


def _validation_reports(content: dict) -> list[str]:
    if not content.get("validation_reports"):
        return []
    lines = ["Validation reports finished:"]
    for r in content["validation_reports"]:
        counts = ", ".join(f"{k} {v}" for k, v in (r.get("counts") or {}).items() if v)
        lines.append(f"  - {r['name']}: {r.get('verdict') or '–'} ({counts or 'no plot types'})  {_link(r['url'])}")
    return [*lines, ""]
