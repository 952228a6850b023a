from django.urls import path

from apps.monitoring import views

urlpatterns = [
    path("runtime/", views.runtime_page, name="runtime"),
    path("runtime/cards", views.runtime_cards, name="runtime-cards"),
    path("monitoring/log/", views.log_page, name="monitoring-log"),
    path("models/", views.model_library, name="model-library"),
    path("models/type/<int:pk>/", views.plot_type_models, name="plot-type-models"),
    path("models/type/<int:pk>/train", views.train, name="model-train"),
    path("models/<int:pk>/", views.model_page, name="model-page"),
    path("models/<int:pk>/activate", views.activate, name="model-activate"),
    path("models/<int:pk>/thresholds", views.set_thresholds, name="model-thresholds"),
    path("models/<int:pk>/evaluate", views.evaluate, name="model-evaluate"),
]
