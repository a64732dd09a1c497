"""Page objects of Administration (``/admin/<section>``): people, groups and queues, API
tokens and record types. They find things as an admin does: by the section links, the
buttons' names and the fields' labels."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

SECTIONS = {
    "people": "People",
    "groups": "Groups & queues",
    "tokens": "API tokens",
    "record-types": "Record types",
    "secrets": "Secrets",
    "audit": "Audit log",
}


class AdminPage:
    def __init__(self, page: Page):
        self.page = page
        self.sections = page.get_by_role("navigation", name="Administration sections")
        self.notice = page.locator("p.notice[role=status]")

    def open(self, section: str = "people") -> AdminPage:
        self.page.goto(f"/admin/{section}")
        expect(self.page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
        expect(self.page.get_by_role("heading", name=SECTIONS[section], level=2)).to_be_visible()
        return self

    def go_to(self, section: str) -> None:
        """Through the section links, as a person would."""
        self.sections.get_by_role("link", name=SECTIONS[section], exact=True).click()
        expect(self.page.get_by_role("heading", name=SECTIONS[section], level=2)).to_be_visible()

    def dialog(self, title: str) -> Locator:
        return self.page.get_by_role("dialog", name=title)

    # ------------------------------------------------------------------ people

    def person(self, username: str) -> Locator:
        return self.page.locator(f'tr[data-username="{username}"]')

    def new_person(self, username: str, display_name: str, password: str, *, role: str = "Member", groups: tuple[str, ...] = ()) -> None:
        """``groups``: their labels as the form lists them ("Auditors (group)")."""
        self.page.get_by_role("button", name="New person").click()
        dialog = self.dialog("New person")
        dialog.get_by_label("User name").fill(username)
        dialog.get_by_label("Display name").fill(display_name)
        dialog.get_by_label("Role").select_option(label=role)
        for group in groups:
            dialog.get_by_label(group).check()
        dialog.get_by_label("Initial password").fill(password)
        dialog.get_by_role("button", name="Create person").click()
        expect(dialog).to_be_hidden()
        expect(self.person(username)).to_be_visible()

    def reset_password(self, display_name: str, password: str) -> None:
        self.page.get_by_role("button", name=f"Reset password of {display_name}").click()
        dialog = self.dialog(f"New password for {display_name}")
        dialog.get_by_label("New password").fill(password)
        dialog.get_by_role("button", name="Set password").click()
        expect(self.notice).to_have_text(f"{display_name} has a new password and is signed out everywhere.")

    def deactivate(self, display_name: str, send_to: str | None) -> str:
        """Deactivates them; ``send_to`` is the option naming who takes their own items.
        Returns the open-items line the dialog showed first, and leaves the result open."""
        self.page.get_by_role("button", name=f"Deactivate {display_name}").click()
        dialog = self.dialog(f"Deactivate {display_name}")
        counted = dialog.get_by_test_id("open-items")
        expect(counted).to_be_visible()
        open_items = counted.inner_text()
        if send_to is not None:
            dialog.get_by_label("Send their personal items to").select_option(label=send_to)
        dialog.get_by_role("button", name=f"Deactivate {display_name}").click()
        expect(self.dialog(f"{display_name} is deactivated")).to_be_visible()
        return open_items

    def moved(self, display_name: str) -> Locator:
        return self.dialog(f"{display_name} is deactivated").get_by_role("status")

    def close_dialog(self, title: str) -> None:
        self.dialog(title).get_by_role("button", name="Close").click()
        expect(self.dialog(title)).to_be_hidden()

    # ------------------------------------------------------------------ groups and queues

    def group(self, name: str) -> Locator:
        return self.page.locator(f'tr[data-group="{name}"]')

    def new_group(self, name: str, label: str, kind: str = "Group") -> None:
        self.page.get_by_role("button", name="New group or queue").click()
        dialog = self.dialog("New group or queue")
        dialog.get_by_label("Name").fill(name)
        dialog.get_by_label("Kind").select_option(label=kind)
        dialog.get_by_label("Label").fill(label)
        dialog.get_by_role("button", name="Create").click()
        expect(dialog).to_be_hidden()
        expect(self.group(name)).to_be_visible()

    # ------------------------------------------------------------------ API tokens

    def token(self, name: str) -> Locator:
        return self.page.locator(f'tr[data-token="{name}"]')

    def create_token(self, name: str) -> str:
        """Creates it and returns the secret as the page shows it (once)."""
        self.page.get_by_label("Token name").fill(name)
        self.page.get_by_role("button", name="Create token").click()
        secret = self.page.get_by_test_id("token-secret")
        expect(secret).to_be_visible()
        expect(self.token(name)).to_be_visible()
        return secret.inner_text().strip()

    def copy_token(self) -> None:
        self.page.get_by_role("button", name="Copy token").click()
        expect(self.page.get_by_role("status").filter(has_text="Copied to the clipboard.")).to_be_visible()

    def revoke_token(self, name: str) -> None:
        self.token(name).get_by_role("button", name=f"Revoke {name}").click()
        self.dialog(f"Revoke {name}?").get_by_role("button", name="Revoke token").click()
        expect(self.token(name)).to_contain_text("Revoked")

    # ------------------------------------------------------------------ secrets

    def secret(self, name: str) -> Locator:
        return self.page.locator(f'tr[data-secret="{name}"]')

    def add_secret(self, name: str, value: str) -> None:
        self.page.get_by_label("Secret name").fill(name)
        self.page.get_by_label("Value", exact=True).fill(value)
        self.page.get_by_role("button", name="Add secret").click()
        expect(self.notice).to_contain_text(f"secrets.{name}")
        expect(self.secret(name)).to_be_visible()

    def replace_secret(self, name: str, value: str) -> None:
        self.secret(name).get_by_role("button", name=f"Replace the value of {name}").click()
        dialog = self.dialog(f"Replace the value of {name}")
        dialog.get_by_label("New value").fill(value)
        dialog.get_by_role("button", name="Replace value").click()
        expect(self.notice).to_contain_text(f"The value of {name} is replaced")

    def delete_secret(self, name: str) -> None:
        self.secret(name).get_by_role("button", name=f"Delete {name}").click()
        self.dialog(f"Delete {name}?").get_by_role("button", name="Delete secret").click()
        expect(self.secret(name)).to_have_count(0)

    # ------------------------------------------------------------------ record types

    def record_type(self, name: str) -> Locator:
        return self.page.locator(f'section[data-record-type="{name}"]')

    def add_record_type_option(self, name: str, field_label: str, option: str, screenshot: str | None = None) -> None:
        """Edit the fields of record type ``name``, add ``option`` to its field ``field_label``, save
        (``screenshot``: a path to take one of the editor at, before saving)."""
        card = self.record_type(name)
        card.get_by_role("button", name=re.compile(r"^Edit fields of ")).click()
        card.get_by_label(f"New option of {field_label}", exact=True).fill(option)
        card.get_by_role("button", name=f"Add option to {field_label}", exact=True).click()
        expect(card.get_by_role("list", name=f"Options of {field_label}")).to_contain_text(option)
        if screenshot:
            card.screenshot(path=screenshot)
        card.get_by_role("button", name="Save record type", exact=True).click()
        expect(card.get_by_role("status")).to_have_text("Saved.")
