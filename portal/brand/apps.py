from django.apps import AppConfig


class BrandConfig(AppConfig):
    name = "portal.brand"
    label = "brand"
    verbose_name = "Brand"

    def ready(self) -> None:
        from django.contrib import admin
        from django.utils.functional import lazy

        from portal.brand import checks  # noqa: F401  (registers brand.I001)
        from portal.brand.selectors import brand_current

        # Lazy: read when a page is drawn, so the name follows settings (and tests overriding them).
        admin.site.site_header = lazy(lambda: f"{brand_current().name} admin", str)()
        admin.site.site_title = lazy(lambda: f"{brand_current().name} admin", str)()
        # index_title stays Django's "Site administration": it names no product.
