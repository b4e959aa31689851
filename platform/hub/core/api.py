from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response


class AuthTokenApi(ObtainAuthToken):
    """POST a username and password for your API token; DELETE revokes it (log out everywhere
    the token was used). A new POST then issues a new one."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else [AllowAny()]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_token_revoke")
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=204)
