"""{% load desk_notify %}: {{ message|masked_recipient }} gives "06 •• •• •• 78"."""

from django import template

from accueil.notify.models import Message
from accueil.notify.services import mask_recipient

register = template.Library()


@register.filter
def masked_recipient(message: Message) -> str:
    return mask_recipient(message.channel, message.recipient)
