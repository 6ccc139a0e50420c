"""The administrator edits staff profiles in Django's admin; every save goes through the action."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from beffroi.accounts.actions import do_update_staff_profile, normalise_phone
from beffroi.accounts.models import StaffProfile
from beffroi.core.errors import UserError


class StaffProfileAdminForm(forms.ModelForm):
    # Typed as people write them ("06 12 34 56 78"); stored in E.164 form.
    mobile = forms.CharField(max_length=30, required=False)
    phone = forms.CharField(max_length=30, required=False)

    class Meta:
        model = StaffProfile
        fields = ("user", "mobile", "phone")

    def _number(self, name: str) -> str:
        try:
            return normalise_phone(self.cleaned_data.get(name, ""), name)
        except UserError as exc:
            raise ValidationError(exc.message) from None

    def clean_mobile(self) -> str:
        return self._number("mobile")

    def clean_phone(self) -> str:
        return self._number("phone")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    form = StaffProfileAdminForm
    list_display = ("user", "mobile", "phone", "updated_at")
    search_fields = ("user__username",)
    readonly_fields = ("updated_at",)

    def save_model(self, request, obj, form, change):
        # The action checks the permission and writes the audit entry.
        saved = do_update_staff_profile(obj.user, mobile=obj.mobile, phone=obj.phone, actor=request.user)
        obj.pk = saved.pk
