"""Home Assistant 2024.3's recorder, measured the way bench.cases_recorder measures Hearth's.

REFERENCE holds the figures for the table's last column (none: not measured). They come from
`python -m bench.ha_recorder VENV` (a virtualenv with `homeassistant==2024.3.3`), which runs
`hass` with a small custom integration doing what the Hearth cases do, and prints them.
"""

from __future__ import annotations

from typing import Final

REFERENCE: Final[dict[str, str]] = {
    "recorder_write": "",
    "recorder_cpu": "",
    "history_day": "",
    "history_days": "",
    "history_size": "",
}
