"""The app's areas, in sidebar order. A new screen is one module plus one line here.

Screen classes are named by import path and loaded on first visit, so start-up imports only
the dashboard.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screens.base import AreaScreen


@dataclass(frozen=True)
class Area:
    id: str  # the mode name and the command palette's "go" target
    title: str
    key: str  # a digit that jumps here from anywhere ("" for none)
    summary: str  # one line for the help screen and the palette
    screen: str  # "module:Class"

    def load(self) -> type[AreaScreen[Any]]:
        module_name, _, class_name = self.screen.partition(":")
        cls: type[AreaScreen[Any]] = getattr(importlib.import_module(module_name), class_name)
        return cls


AREAS: tuple[Area, ...] = (
    Area("dashboard", "Dashboard", "1", "Readiness at a glance", "screens.dashboard:DashboardScreen"),
    Area("roster", "Roster", "2", "Members and households", "screens.roster:RosterScreen"),
    Area("events", "Events", "3", "Meetings, trainings, drills; RSVPs and attendance", "screens.events:EventsScreen"),
    Area("inventory", "Inventory", "4", "Supplies, loans, water and food on hand", "screens.inventory:InventoryScreen"),
    Area("checkin", "Check-in", "5", "Welfare check of every household (crisis mode)", "screens.checkin:CheckInScreen"),
    Area("peers", "Peers", "6", "Devices that sync with this one; invites", "screens.peers:PeersScreen"),
    Area("settings", "Settings", "7", "This device, groups, theme", "screens.settings:SettingsScreen"),
    Area("plan", "Plan", "8", "Needs, goals, comms, partners, training, report", "screens.planning.hub:PlanScreen"),
    Area(
        "history",
        "History",
        "9",
        "Recent changes across the group: who, what, when; undo",
        "screens.history:RecentScreen",
    ),
)

AREA_BY_ID = {area.id: area for area in AREAS}
CRISIS_AREA = "checkin"
HOME_AREA = "dashboard"
