package server

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error sent to the client as an OpenAI-style error body.
type apiError struct {
	Status  int
	Type    string
	Message string
}

func (e *apiError) Error() string { return e.Message }

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: fmt.Sprintf(format, args...)}
}

type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    int    `json:"code"`
}

func (e *apiError) body() errorBody {
	return errorBody{Error: errorObject{Message: e.Message, Type: e.Type, Code: e.Status}}
}

// writeError sends e as the whole response.
func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e.body())
}
