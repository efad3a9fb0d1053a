from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&pageSize=N`; the older `page_size` is still read, undocumented."""

    page_size_query_param = "pageSize"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        if self.page_size_query_param not in request.query_params and "page_size" in request.query_params:
            self.page_size_query_param = "page_size"
        return super().get_page_size(request)
