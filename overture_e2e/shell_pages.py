"""The app shell around every signed-in page: the main navigation, breadcrumbs, the
person's menu (Profile, dark mode, Sign out) and the "page not found" view. Found as a
person finds them: by role and name."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect


class Shell:
    """The bar on top of every signed-in page, and the breadcrumbs of a deep page."""

    def __init__(self, page: Page):
        self.page = page
        self.bar = page.get_by_role("banner")
        self.nav = self.bar.get_by_role("navigation", name="Main")
        self.breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
        self.user_button = self.bar.get_by_role("button", name=re.compile(r"^Account"))
        self.user_panel = self.bar.get_by_role("group", name="Account")

    def nav_link(self, label: str) -> Locator:
        """A link of the main navigation ("My work" carries its count: the name starts with the label)."""
        return self.nav.get_by_role("link", name=re.compile(rf"^{re.escape(label)}(\s|$)"))

    def nav_labels(self) -> list[str]:
        expect(self.nav).to_be_visible()
        return [re.sub(r"\d+$", "", text).strip() for text in self.nav.get_by_role("link").all_inner_texts()]

    def go(self, label: str) -> None:
        """Follow a link of the main navigation; it is then marked as the current section."""
        link = self.nav_link(label)
        link.click()
        expect(link).to_have_attribute("aria-current", "page")

    def crumb(self, label: str) -> Locator:
        return self.breadcrumbs.get_by_role("link", name=label, exact=True)

    def back_to(self, label: str) -> None:
        """Follow a breadcrumb up."""
        self.crumb(label).click()

    def expect_trail(self, *labels: str) -> None:
        """The breadcrumbs read ``labels`` in order (the last one is this page)."""
        expect(self.breadcrumbs.get_by_role("listitem")).to_have_text(list(labels))

    # ------------------------------------------------------------------ the person's menu

    def open_user_menu(self) -> Locator:
        if self.user_button.get_attribute("aria-expanded") != "true":
            self.user_button.click()
        expect(self.user_panel).to_be_visible()
        return self.user_panel

    @property
    def dark_switch(self) -> Locator:
        return self.user_panel.get_by_role("switch", name=re.compile(r"^Dark mode"))

    def set_dark(self, dark: bool) -> None:
        self.open_user_menu()
        if (self.dark_switch.get_attribute("aria-checked") == "true") != dark:
            self.dark_switch.click()
        expect(self.dark_switch).to_have_attribute("aria-checked", "true" if dark else "false")

    def theme(self) -> str | None:
        """``data-theme`` on <html>: "dark", "light", or None (the system's preference)."""
        return self.page.locator("html").get_attribute("data-theme")

    def sign_out(self) -> None:
        self.open_user_menu().get_by_role("button", name="Sign out").click()
        expect(self.page.get_by_role("heading", name="Sign in to Overture")).to_be_visible()


class NotFoundView:
    """What any unknown path shows: "Page not found" and a way back (or to sign in)."""

    def __init__(self, page: Page):
        self.page = page
        self.heading = page.get_by_role("heading", name="Page not found", exact=True)
        self.main = page.get_by_role("main")

    def way_back(self, label: str = "Go to the orchestrations") -> Locator:
        return self.main.get_by_role("link", name=label, exact=True)
