from django.db import models


class CampaignKind(models.TextChoices):
    ONLINE = "online", "Online monitoring"
    OFFLINE = "offline", "Offline monitoring version"
    SIMULATION = "simulation", "Simulation campaign"
    CALIBRATION = "calibration", "Calibration pass"
