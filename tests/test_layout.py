"""The common layout every page extends: the language switch keeps the page the user is on."""
from __future__ import annotations


def test_switching_language_keeps_the_filters_of_the_page(embedded_stack):
    h = embedded_stack.harness("enrolment")
    h.login("coordinator")
    page = h.client.get("/applications?status=submitted&city=Tartu").get_data(as_text=True)
    assert 'href="?status=submitted&amp;city=Tartu&amp;lang=en" hreflang="en"' in page
    page = h.client.get("/applications?status=submitted&city=Tartu&lang=en").get_data(as_text=True)
    assert 'href="?status=submitted&amp;city=Tartu&amp;lang=et" hreflang="et"' in page
    h.close()
