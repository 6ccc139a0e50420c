from django.urls import path

from beffroi.public import views

app_name = "public"

urlpatterns = [
    path("", views.index, name="index"),
    path("abonnement/", views.subscribe, name="subscribe"),
    path("abonnement/push/", views.subscribe_push, name="subscribe_push"),
    path("abonnement/confirmer/<str:token>/", views.confirm, name="confirm"),
    path("abonnement/desinscription/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<path:path>", views.static_file, name="file"),
]
