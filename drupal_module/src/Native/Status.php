<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native;

/**
 * The EntraStatus codes of the C ABI (include/entra_provisioning.h).
 *
 * The numbers are append-only on the Rust side; a test compares them with the
 * enum constants the header exposes to FFI.
 */
final class Status
{
    public const OK = 0;
    public const INVALID_ARGUMENT = 1;
    public const CONFIG = 2;
    public const AUTH = 3;
    public const PERMISSION = 4;
    public const VALIDATION = 5;
    public const CONFLICT = 6;
    public const NOT_FOUND = 7;
    public const THROTTLED = 8;
    public const TRANSIENT = 9;
    public const GRAPH = 10;
    public const PANIC = 11;

    /**
     * Status code => error kind (the "kind" of the error JSON).
     */
    public const KINDS = [
        self::OK => 'ok',
        self::INVALID_ARGUMENT => 'invalid_argument',
        self::CONFIG => 'config',
        self::AUTH => 'auth',
        self::PERMISSION => 'permission',
        self::VALIDATION => 'validation',
        self::CONFLICT => 'conflict',
        self::NOT_FOUND => 'not_found',
        self::THROTTLED => 'throttled',
        self::TRANSIENT => 'transient',
        self::GRAPH => 'graph',
        self::PANIC => 'panic',
    ];

    /**
     * Status code => name of the C enum constant.
     */
    public const C_NAMES = [
        self::OK => 'ENTRA_STATUS_OK',
        self::INVALID_ARGUMENT => 'ENTRA_STATUS_INVALID_ARGUMENT',
        self::CONFIG => 'ENTRA_STATUS_CONFIG',
        self::AUTH => 'ENTRA_STATUS_AUTH',
        self::PERMISSION => 'ENTRA_STATUS_PERMISSION',
        self::VALIDATION => 'ENTRA_STATUS_VALIDATION',
        self::CONFLICT => 'ENTRA_STATUS_CONFLICT',
        self::NOT_FOUND => 'ENTRA_STATUS_NOT_FOUND',
        self::THROTTLED => 'ENTRA_STATUS_THROTTLED',
        self::TRANSIENT => 'ENTRA_STATUS_TRANSIENT',
        self::GRAPH => 'ENTRA_STATUS_GRAPH',
        self::PANIC => 'ENTRA_STATUS_PANIC',
    ];

    private function __construct()
    {
    }

    /**
     * The error kind of a status code, or null for a code this binding does not know.
     */
    public static function kind(int $status): ?string
    {
        return self::KINDS[$status] ?? null;
    }
}
