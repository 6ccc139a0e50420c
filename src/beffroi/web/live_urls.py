from django.urls import path

from beffroi.web.live import live_stream

app_name = "live"
urlpatterns = [path("", live_stream, name="stream")]
