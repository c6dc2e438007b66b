"""The institution's portal inbox: the notices that reached it through no other channel.

``/portal/inbox/`` lists them, newest first, unread ones marked (``?unread=1``: only those, the
list the workbench's count opens); ``/portal/inbox/<id>/`` shows one and marks it read. Only the
portal's people enter (``institution_required``), and each sees the notices about what it sees
(``selectors.portal_messages``): another institution's message answers 404.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from luchen_care.portal.access import institution_required

from .selectors import portal_messages
from .services import portal_message_read

PAGE_SIZE = 30


@institution_required
def inbox(request):
    unread = request.GET.get("unread") == "1"
    page = Paginator(portal_messages(request.user, unread=unread), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "exchange/portal/inbox.html",
        {"title": _("Messages"), "page": page, "messages_page": page.object_list, "unread_only": unread},
    )


@institution_required
def inbox_message(request, pk):
    message = portal_messages(request.user).filter(pk=pk).first()
    if message is None:
        raise Http404
    was_unread = message.read_at is None
    message = portal_message_read(delivery=message, user=request.user)
    return render(
        request,
        "exchange/portal/message.html",
        {"title": message.payload.get("title") or message.subject_label, "message": message, "was_unread": was_unread},
    )
