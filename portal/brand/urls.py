from django.urls import path

from portal.brand.views import brand_css

app_name = "brand"

urlpatterns = [
    path("brand.css", brand_css, name="stylesheet"),
]
