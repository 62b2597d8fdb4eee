"""First run (and choosing a group): create one, join with an invite, or explore sample data."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from magnet.errors import MagnetError
from screens.widgets.keyfooter import KeyFooter
from screens.widgets.modals import ConfirmModal, PromptModal

if TYPE_CHECKING:
    from screens.app import MagnetApp

INTRO = (
    "magnet keeps your Mutual Assistance Group's records — roster, events, supplies, welfare "
    "check-ins — on your own devices, and syncs them with neighbors' devices on the same network. "
    "No server, no internet needed."
)


def _not_empty(text: str) -> str | None:
    return None if text.strip() else "Please type something (Escape goes back)"


def _no_address_or_a_good_one(text: str) -> str | None:
    from sync.transport import address_problem

    return address_problem(text) if text.strip() else None


class WelcomeScreen(Screen[None]):
    """Pick an existing group, or make a start."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "create", "Create group"),
        Binding("j", "join", "Join with invite"),
        Binding("s", "sample", "Sample data"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]
    AUTO_FOCUS = "#welcome-choices"

    def __init__(self, problem: str | None = None) -> None:
        super().__init__()
        self.problem = problem

    @property
    def magnet(self) -> MagnetApp:
        return cast("MagnetApp", self.app)

    def compose(self) -> ComposeResult:
        groups = self.magnet.home.groups()
        with Vertical(id="welcome"):
            yield Static("Welcome to magnet", id="welcome-title")
            yield Static(INTRO, id="welcome-intro", markup=False)
            if self.problem:
                yield Static(self.problem, id="welcome-problem", markup=False)
            options: list[Option | None] = []
            for info in groups:
                lock = " (encrypted)" if info.encrypted else ""
                prompt = Content(f"Open  {info.label}{lock}")  # a name with [brackets] is not markup
                options.append(Option(prompt, id=f"open:{info.group_id}"))
            if groups:
                options.append(None)
            options += [
                Option("c  Create a new group", id="create"),
                Option("j  Join a group with an invite", id="join"),
                Option("s  Explore sample data", id="sample"),
            ]
            yield OptionList(*options, id="welcome-choices")
            yield Static("", id="welcome-status", markup=False)
        yield KeyFooter()

    @on(OptionList.OptionSelected, "#welcome-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id or ""
        if choice.startswith("open:"):
            group_id = choice.removeprefix("open:")
            info = next((g for g in self.magnet.home.groups() if g.group_id == group_id), None)
            if info is not None:
                self.magnet.open_group(info)
        elif choice == "create":
            self.action_create()
        elif choice == "join":
            self.action_join()
        elif choice == "sample":
            self.action_sample()

    def _status(self, text: str) -> None:
        self.query_one("#welcome-status", Static).update(text)

    # ---- create ------------------------------------------------------------------------------

    @work(exclusive=True, group="welcome")
    async def action_create(self) -> None:
        name = await self.app.push_screen_wait(
            PromptModal("Name of the new group:", placeholder="e.g. Maple Street MAG", check=_not_empty)
        )
        if not name:
            return
        me = await self.app.push_screen_wait(
            PromptModal("Your name (you become its first core team member):", check=_not_empty)
        )
        if not me:
            return
        passphrase = await self._ask_passphrase()
        if passphrase is None:
            self._status("The passphrases differ: the group was not created.")
            return
        self._status(f"Creating {name.strip()}…")
        self._create(name.strip(), me.strip(), passphrase)

    async def _ask_passphrase(self) -> str | None:
        """'' to keep the group's data unencrypted, the passphrase, or None when the two differ."""
        if not await self.app.push_screen_wait(
            ConfirmModal("Encrypt this group's data on this disk with a passphrase?", yes="Encrypt", no="No")
        ):
            return ""
        given: str | None = await self.app.push_screen_wait(PromptModal("Passphrase:", password=True, check=_not_empty))
        again = await self.app.push_screen_wait(PromptModal("The same passphrase again:", password=True))
        return given if given and again == given else None

    @work(thread=True, exclusive=True, group="welcome-io", exit_on_error=False)
    def _create(self, name: str, me: str, passphrase: str) -> None:
        from magnet.unlock import create_group

        try:
            group = create_group(
                self.magnet.home, name, member_name=me, encrypt=bool(passphrase), passphrase=passphrase or None
            )
            info = group.info
            group.close()
        except MagnetError as exc:
            self.app.call_from_thread(self._status, str(exc))
            return
        self.app.call_from_thread(self.magnet.open_group, info, passphrase or None)

    # ---- join --------------------------------------------------------------------------------

    @work(exclusive=True, group="welcome")
    async def action_join(self) -> None:
        code = await self.app.push_screen_wait(
            PromptModal(
                "Paste the invite code (it starts with MAGNET:), or type the short one (like 42-K4ZQ-7M2P):",
                check=_not_empty,
            )
        )
        if not code:
            return
        address = await self.app.push_screen_wait(
            PromptModal(
                "The inviting device's address, if your network blocks discovery (or leave empty):",
                placeholder="host:port",
                check=_no_address_or_a_good_one,
            )
        )
        if address is None:
            return
        me = await self.app.push_screen_wait(PromptModal("Your name, as the group will know you:", check=_not_empty))
        if not me:
            return
        passphrase = await self._ask_passphrase()
        if passphrase is None:
            self._status("The passphrases differ: nothing was joined (the invite is still good).")
            return
        self._status("Joining… the inviting device must be running magnet nearby.")
        self._join(code, address, me, passphrase)

    @work(thread=True, exclusive=True, group="welcome-io", exit_on_error=False)
    def _join(self, code: str, address: str, me: str, passphrase: str) -> None:
        from screens.invites import join_with_code

        try:
            result = join_with_code(self.magnet.home, code, address=address, me=me, passphrase=passphrase)
        except MagnetError as exc:
            self.app.call_from_thread(self._status, f"Could not join: {exc}")
            return
        self.app.call_from_thread(self.magnet.open_group, result.group_id, passphrase or None)

    # ---- sample ------------------------------------------------------------------------------

    def action_sample(self) -> None:
        self._status("Making a sample neighborhood…")
        self._sample()

    @work(thread=True, exclusive=True, group="welcome-io", exit_on_error=False)
    def _sample(self) -> None:
        from magnet.sample import create_demo_group

        try:
            group = create_demo_group(self.magnet.home)
            info = group.info
            group.close()
        except MagnetError as exc:
            self.app.call_from_thread(self._status, str(exc))
            return
        self.app.call_from_thread(self.magnet.open_group, info)
