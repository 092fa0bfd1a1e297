"""How a delivery attempt failed, in the two kinds the outbox acts on differently."""


class DeliveryError(Exception):
    """The message was not accepted. The text is safe to store and show: codes and server replies,
    never message content."""


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: the server is down, busy, or refused us for now (4xx), or our own
    settings are wrong in a way a person can fix without touching the message."""


class PermanentDeliveryError(DeliveryError):
    """The server refused this message for good (5xx on the sender, recipient or content)."""
