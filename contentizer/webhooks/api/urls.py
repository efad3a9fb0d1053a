from contentizer.api.routing import route
from contentizer.webhooks.api import views

urlpatterns = [
    *route("v1/webhooks", views.WebhookListApi.as_view(), "webhook-list"),
    *route("v1/webhooks/<uuid:endpoint_id>", views.WebhookDetailApi.as_view(), "webhook-detail"),
    *route("v1/webhooks/<uuid:endpoint_id>/deliveries", views.WebhookDeliveryListApi.as_view(), "webhook-deliveries"),
    *route("v1/webhooks/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/redeliver",
           views.WebhookRedeliverApi.as_view(), "webhook-redeliver"),
]
