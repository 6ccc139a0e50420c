from django.urls import path

from beffroi.crossing import views

app_name = "crossing"

urlpatterns = [
    path("", views.index, name="index"),
    path("profil/", views.profile, name="profile"),
    path("profil.<str:fmt>", views.profile_export, name="profile_export"),
]
