package console

import (
	"errors"
	"net/http"

	"github.com/vigil-sec/vigil/internal/auth"
)

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	us, err := s.opts.Auth.Users(r.Context())
	if err != nil {
		s.internalError(w, r, "listing the users", err)
		return
	}
	writeJSON(w, http.StatusOK, List[auth.User]{Items: us})
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string    `json:"username"`
		Password string    `json:"password"`
		Role     auth.Role `json:"role"`
	}
	if err := readJSON(w, r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error()+`; send {"username","password","role"}`)
		return
	}
	err := s.opts.Auth.CreateUser(r.Context(), body.Username, body.Password, body.Role)
	switch {
	case errors.Is(err, auth.ErrBadRequest):
		writeError(w, http.StatusBadRequest, trimAuth(err))
		return
	case errors.Is(err, auth.ErrUserExists):
		writeError(w, http.StatusConflict, "a user named "+body.Username+" exists")
		return
	case err != nil:
		s.internalError(w, r, "creating the user", err)
		return
	}
	s.opts.Logger.Info("console: user created", "user", body.Username, "role", string(body.Role), "by", principal(r).User)
	writeJSON(w, http.StatusCreated, map[string]string{"username": body.Username, "role": string(body.Role)})
}

func trimAuth(err error) string {
	msg := err.Error()
	const p = "auth: invalid request: "
	if len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.opts.Auth.Tokens(r.Context())
	if err != nil {
		s.internalError(w, r, "listing the tokens", err)
		return
	}
	writeJSON(w, http.StatusOK, List[auth.Token]{Items: ts})
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string    `json:"name"`
		Role auth.Role `json:"role"`
	}
	if err := readJSON(w, r, &body); err != nil {
		writeError(w, http.StatusBadRequest, err.Error()+`; send {"name","role"}`)
		return
	}
	id, secret, err := s.opts.Auth.CreateToken(r.Context(), body.Name, body.Role, principal(r).User)
	if errors.Is(err, auth.ErrBadRequest) {
		writeError(w, http.StatusBadRequest, trimAuth(err))
		return
	}
	if err != nil {
		s.internalError(w, r, "creating the token", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id, "token": secret, "name": body.Name, "role": string(body.Role)})
}

func (s *Server) tokenDelete(w http.ResponseWriter, r *http.Request) {
	err := s.opts.Auth.DeleteToken(r.Context(), r.PathValue("id"))
	if errors.Is(err, auth.ErrNoToken) {
		writeError(w, http.StatusNotFound, "no token "+r.PathValue("id")+"; list them at /api/v1/tokens")
		return
	}
	if err != nil {
		s.internalError(w, r, "revoking the token", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
