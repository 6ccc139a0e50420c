from django.urls import path

from beffroi.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("pcs.pdf", views.pcs_pdf, name="pcs_pdf"),
    path("pcs/", views.pcs_html, name="pcs"),
    path("retex/<int:pk>/", views.retex, name="retex"),
    path("retex/<int:pk>.pdf", views.retex_pdf, name="retex_pdf"),
    path("main-courante/<int:pk>.pdf", views.log_pdf, name="log_pdf"),
    path("tournee/<int:pk>/<int:route>/", views.route_print, name="route_print"),
]
