from beffroi.crisis.demo import load
from beffroi.crisis.models import Contact, ReflexSheet, Resource, Shelter


def test_demo_loader_is_idempotent(territory):
    codes = ["92063", "92033", "94052"]
    load(codes)
    counts = (
        ReflexSheet.objects.count(),
        Contact.objects.count(),
        Resource.objects.count(),
        Shelter.objects.count(),
    )
    load(codes)
    assert counts == (
        ReflexSheet.objects.count(),
        Contact.objects.count(),
        Resource.objects.count(),
        Shelter.objects.count(),
    )
    assert (
        ReflexSheet.objects.filter(hazard="inondation").exists()
        and ReflexSheet.objects.filter(hazard="canicule").exists()
    )
    assert all(Shelter.objects.filter(commune=c).exists() for c in codes)
