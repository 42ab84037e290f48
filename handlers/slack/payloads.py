"""What the listeners read from Slack's payloads, typed, in one place.

Each listener reads its payload once, at its top (``Model.from_body(body)`` or, for events,
``from_body(event)``); nothing below digs in dicts. The models hold only what is read and
ignore everything else Slack sends. ``handlers.slack.guards.problem`` has already refused
(400) interactions too malformed for Bolt, so a ``ValidationError`` here means a crafted
payload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _none_as_empty(value: Any) -> Any:
    """Slack leaves some fields out and sends others as null: both read as empty."""
    return "" if value is None else value


def _none_as_dict(value: Any) -> Any:
    return {} if value is None else value


Text = Annotated[str, BeforeValidator(_none_as_empty)]
Dict = Annotated[dict[str, Any], BeforeValidator(_none_as_dict)]


class SlackPayload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Self:
        """The payload read from Bolt's ``body`` (or ``event``); ValidationError names
        what is missing or of the wrong type."""
        return cls.model_validate(body)


# --- parts ----------------------------------------------------------------------------

class User(SlackPayload):
    id: str


class Channel(SlackPayload):
    id: str | None = None


class Container(SlackPayload):
    """Where a clicked element is: a message (channel and ts) or a view."""

    type: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    view_id: str | None = None


class MessageMetadata(SlackPayload):
    event_type: str | None = None
    event_payload: Dict = Field(default_factory=dict)


class Message(SlackPayload):
    ts: str | None = None
    thread_ts: str | None = None
    user: str | None = None
    text: Text = ""
    metadata: MessageMetadata | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields read, in Slack's shape (``handlers.slack.guards.message_names``)."""
        return self.model_dump(exclude_none=True)


class Action(SlackPayload):
    action_id: str | None = None
    block_id: str | None = None
    value: str | None = None


class ViewState(SlackPayload):
    values: Dict = Field(default_factory=dict)


class View(SlackPayload):
    id: Text = ""
    callback_id: Text = ""
    private_metadata: Text = ""
    state: ViewState = Field(default_factory=ViewState)

    @property
    def values(self) -> dict[str, Any]:
        """``state.values``: block id → action id → the element's state."""
        return self.state.values

    def selections(self) -> dict[str, str]:
        """Block id → the value of the option chosen in its select ("" when none)."""
        return {block_id: str((element.get("selected_option") or {}).get("value") or "")
                for block_id, actions in self.values.items()
                for element in (actions or {}).values() if isinstance(element, dict)}

    def text(self, block_id: str, action_id: str = "value") -> str:
        """What was typed in a plain-text input ("" when it is missing or empty)."""
        element = (self.values.get(block_id) or {}).get(action_id) or {}
        return str(element.get("value") or "") if isinstance(element, dict) else ""


# --- interactions ---------------------------------------------------------------------

class ByUser(SlackPayload):
    """A payload of something a person did: who did it."""

    user: User

    @property
    def user_id(self) -> str:
        return self.user.id


class BlockAction(ByUser):
    """A ``block_actions`` payload: a click on a button in a message, a modal or the Home."""

    actions: list[Action]
    channel: Channel | None = None
    container: Container | None = None
    message: Message | None = None
    trigger_id: str | None = None

    @property
    def action(self) -> Action:
        return self.actions[0] if self.actions else Action()

    @property
    def action_id(self) -> str:
        return self.action.action_id or ""

    @property
    def value(self) -> str:
        """The clicked element's value ("" when it has none)."""
        return self.action.value or ""

    @property
    def channel_id(self) -> str | None:
        """The payload's ``channel`` (a click in a message)."""
        return self.channel.id if self.channel else None

    @property
    def message_channel_id(self) -> str | None:
        """The clicked message's channel: ``channel``, else the container's."""
        return self.channel_id or (self.container.channel_id if self.container else None)

    @property
    def message_ts(self) -> str | None:
        """The clicked message's ts: the message's, else the container's."""
        return (self.message.ts if self.message else None) or (
            self.container.message_ts if self.container else None)

    @property
    def message_metadata(self) -> MessageMetadata | None:
        return self.message.metadata if self.message else None


class ViewSubmission(ByUser):
    """A ``view_submission`` payload: a modal submitted."""

    view: View

    @property
    def values(self) -> dict[str, Any]:
        return self.view.values


class BlockSuggestion(ByUser):
    """A ``block_suggestion`` payload: an external select asking for its options."""

    block_id: str | None = None
    action_id: str | None = None
    value: Text = ""
    view: Annotated[View, BeforeValidator(_none_as_dict)] = Field(default_factory=View)


class MessageShortcut(ByUser):
    """A ``message_action`` payload: a message shortcut used on a message."""

    channel: Channel | None = None
    message: Message | None = None
    trigger_id: str | None = None

    @property
    def channel_id(self) -> str | None:
        return self.channel.id if self.channel else None


class SlashCommand(SlackPayload):
    """A slash command's form fields."""

    command: str
    user_id: str
    trigger_id: str
    channel_id: str | None = None
    text: Text = ""


# --- events ---------------------------------------------------------------------------

class MessageEvent(SlackPayload):
    """A ``message`` or ``app_mention`` event."""

    channel: str | None = None
    user: str | None = None
    text: Text = ""
    ts: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None


class HomeOpened(SlackPayload):
    """An ``app_home_opened`` event."""

    user: str | None = None
    tab: str | None = "home"


class FunctionRef(SlackPayload):
    callback_id: Text = ""


class FunctionExecuted(SlackPayload):
    """A ``function_executed`` event: a workflow reached one of the app's steps."""

    function_execution_id: Text = ""
    function: Annotated[FunctionRef, BeforeValidator(_none_as_dict)] = Field(
        default_factory=FunctionRef)
    inputs: Dict = Field(default_factory=dict)
