<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\InvalidArgumentException;

/**
 * The JSON rules of the binding: how requests are encoded for the library
 * and how its result and error strings are decoded.
 *
 * No \FFI call here: EntraNative reads the native strings and hands them over
 * as PHP strings. Dependency-free like the rest of the binding, so
 * opcache.preload can load it.
 */
final class JsonCodec {

  private const ENCODE_FLAGS = JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;

  /**
   * Static only: there is no state to keep.
   */
  private function __construct() {
  }

  /**
   * Encodes a request or configuration for the library.
   *
   * @param mixed $value
   * @param string $what
   *   What is encoded, for the error message.
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\InvalidArgumentException
   */
  public static function encode(
    #[\SensitiveParameter]
    $value,
    string $what
  ): string {
    try {
      return json_encode($value, self::ENCODE_FLAGS);
    }
    catch (\JsonException $e) {
      // The JSON error message never contains the offending value.
      throw new InvalidArgumentException('Could not encode ' . $what . ' as JSON: ' . $e->getMessage(), 'invalid_argument', -1, [], 'json_encode');
    }
  }

  /**
   * Decodes the result of an export that returned ENTRA_STATUS_OK.
   *
   * @param string|null $json
   *   The result string, null when the library returned no string.
   *
   * @return array<string, mixed>
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   Kind "internal" when the result is missing or not a JSON array/object.
   */
  public static function decodeResult(string $function, int $status, ?string $json): array {
    if ($json === NULL) {
      throw new EntraException($function . ' returned OK without a result (the library could not allocate it).', 'internal', $status, [], $function);
    }
    try {
      $result = json_decode($json, TRUE, 512, JSON_THROW_ON_ERROR);
    }
    catch (\JsonException $e) {
      throw new EntraException($function . ' returned a result that is not valid JSON: ' . $e->getMessage(), 'internal', $status, [], $function, $e);
    }
    if (!is_array($result)) {
      throw new EntraException($function . ' returned a result that is not a JSON object or array.', 'internal', $status, [], $function);
    }

    return $result;
  }

  /**
   * Decodes the error JSON of a failed export; never throws.
   *
   * @param string|null $json
   *   The error string, null when the library could not allocate one.
   * @param list<string> $redact
   *   Values that must not appear in the error (defence in depth).
   *
   * @return array<string, mixed>
   *   The error details for EntraException::fromStatus(); at least a
   *   "message" when the JSON is missing or unreadable.
   */
  public static function decodeError(
    string $function,
    int $status,
    ?string $json,
    #[\SensitiveParameter]
    array $redact = []
  ): array {
    if ($json === NULL) {
      $error = ['message' => sprintf('%s failed with status %d; the library could not allocate the error message.', $function, $status)];
    }
    else {
      try {
        $decoded = json_decode($json, TRUE, 512, JSON_THROW_ON_ERROR);
        $error = is_array($decoded) ? $decoded : ['message' => $function . ' returned an error that is not a JSON object.'];
      }
      catch (\JsonException $e) {
        $error = ['message' => $function . ' returned an error that is not valid JSON.'];
      }
    }

    return $redact === [] ? $error : self::redact($error, $redact);
  }

  /**
   * Roles keyed by role id (as some callers keep them) would encode as a
   * JSON object; the library expects a list. An empty map needs nothing:
   * the library reads PHP's `[]` as an empty object wherever it expects one.
   *
   * @param array<string, mixed> $user
   *
   * @return array<string, mixed>
   */
  public static function listRoles(array $user): array {
    if (isset($user['roles']) && is_array($user['roles'])) {
      $user['roles'] = array_values($user['roles']);
    }

    return $user;
  }

  /**
   * Replaces secret values in every string of an error array.
   *
   * @param array<mixed> $data
   * @param list<string> $secrets
   *
   * @return array<mixed>
   */
  private static function redact(
    array $data,
    #[\SensitiveParameter]
    array $secrets
  ): array {
    foreach ($data as $key => $value) {
      if (is_string($value)) {
        $data[$key] = str_replace($secrets, '[REDACTED]', $value);
      }
      elseif (is_array($value)) {
        $data[$key] = self::redact($value, $secrets);
      }
    }

    return $data;
  }

}
