<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Native\NativeClientInterface;

/**
 * Creates native clients and reports on the FFI environment.
 */
interface NativeFactoryInterface {

  /**
   * A client for $config (the library is loaded lazily, on first use).
   *
   * @param array<string, mixed> $config
   */
  public function create(
    #[\SensitiveParameter]
    array $config,
    string $library,
    string $header,
    ?string $mode
  ): NativeClientInterface;

  /**
   * Validates $config in the library without any network access.
   *
   * @param array<string, mixed> $config
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   ConfigException naming the field, or NativeUnavailableException.
   */
  public function validate(
    #[\SensitiveParameter]
    array $config,
    string $library,
    string $header,
    ?string $mode
  ): void;

  /**
   * Which FFI load mode this process would use, and why (no loading).
   *
   * @return array<string, mixed>
   *   See FfiLoader::environment().
   */
  public function environment(string $library, string $header): array;

  /**
   * Loads the library and reports its version and ABI.
   *
   * @return array{ok: bool, version: ?string, abi_version: ?int, expected_abi: int, mode: ?string, error: ?string}
   */
  public function probe(string $library, string $header, ?string $mode): array;

  /**
   * The Graph properties a Drupal field may be mapped to, from the library
   * (no client, no network).
   *
   * @return array{properties: list<array{name: string, max_length: ?int}>, fixed: list<string>}
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the library cannot be loaded.
   */
  public function mappableProperties(string $library, string $header, ?string $mode): array;

  /**
   * What the library says about itself (entra_describe; no client, no
   * network).
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the library cannot be loaded.
   */
  public function describe(string $library, string $header, ?string $mode): LibraryFacts;

  /**
   * Asks entra_decide a question (no client, no network).
   *
   * @param array<string, mixed> $question
   *
   * @return array<string, mixed>
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   */
  public function decide(array $question, string $library, string $header, ?string $mode): array;

  /**
   * The library's check of a certificate and its private key
   * (entra_check_certificate; no client, no network).
   *
   * @return array<string, mixed>
   *   See EntraNative::checkCertificate().
   *
   * @throws \Drupal\entra_provisioning\Native\Exception\EntraException
   *   When the library cannot be loaded.
   */
  public function checkCertificate(
    string $certificatePem,
    #[\SensitiveParameter]
    ?string $privateKeyPem,
    string $library,
    string $header,
    ?string $mode
  ): array;

}
