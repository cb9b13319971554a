from __future__ import annotations

from django.contrib import admin

from trustline.taxonomy.models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["code", "name", "policy_area", "dsa_category", "restricted", "is_active"]
    list_filter = ["policy_area", "dsa_category", "restricted", "is_active"]
