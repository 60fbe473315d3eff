from __future__ import annotations

from django import forms

from portal.notifications.models import Scope

FOLLOW_DEFAULT = "default"


class PreferenceForm(forms.Form):
    scope = forms.ChoiceField(
        label="Email me about",
        choices=[(FOLLOW_DEFAULT, "My organisation's default"), *Scope.choices],
        widget=forms.RadioSelect,
    )

    def chosen(self) -> str | None:
        """The scope chosen, or None to follow the organisation's default."""
        value = self.cleaned_data["scope"]
        return None if value == FOLLOW_DEFAULT else str(value)


class OrganizationDefaultForm(forms.Form):
    organization = forms.IntegerField(widget=forms.HiddenInput)
    scope = forms.ChoiceField(label="Default for members", choices=Scope.choices)
