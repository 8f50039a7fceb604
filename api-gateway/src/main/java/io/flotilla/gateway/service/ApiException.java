package io.flotilla.gateway.service;

/**
 * A refused request: the HTTP status, the message, and for errors Docker reports from swarmkit the
 * gRPC code Docker prints ("rpc error: code = AlreadyExists desc = ...").
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String rpcCode;

    public ApiException(int status, String rpcCode, String message) {
        super(message);
        this.status = status;
        this.rpcCode = rpcCode;
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, null, message);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, null, message);
    }

    public static ApiException invalidArgument(String message) {
        return new ApiException(400, "InvalidArgument", message);
    }

    public static ApiException failedPrecondition(String message) {
        return new ApiException(400, "FailedPrecondition", message);
    }

    public static ApiException outOfSequence() {
        return new ApiException(409, "Unknown", "update out of sequence");
    }

    public static ApiException nameConflict() {
        return new ApiException(409, "AlreadyExists", "name conflicts with an existing object");
    }

    public int status() {
        return status;
    }

    /** The message as Docker's daemon gives it. */
    public String dockerMessage() {
        return rpcCode == null ? getMessage() : "rpc error: code = " + rpcCode + " desc = " + getMessage();
    }
}
