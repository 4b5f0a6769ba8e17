using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Derbes.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RequestDesk : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "EnteredBy",
                table: "CustomerRequests",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Identification",
                table: "CustomerRequests",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "PausedOn",
                table: "CustomerRequests",
                type: "date",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RequestEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RequestId = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Type = table.Column<int>(type: "integer", nullable: false),
                    ActorId = table.Column<Guid>(type: "uuid", nullable: true),
                    Visible = table.Column<bool>(type: "boolean", nullable: false),
                    TextKey = table.Column<Guid>(type: "uuid", nullable: false),
                    SealedText = table.Column<byte[]>(type: "bytea", nullable: true),
                    AssigneeId = table.Column<Guid>(type: "uuid", nullable: true),
                    FromKind = table.Column<int>(type: "integer", nullable: true),
                    ToKind = table.Column<int>(type: "integer", nullable: true),
                    DueBefore = table.Column<DateOnly>(type: "date", nullable: true),
                    DueAfter = table.Column<DateOnly>(type: "date", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RequestEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RequestEvents_CustomerRequests_RequestId",
                        column: x => x.RequestId,
                        principalTable: "CustomerRequests",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RequestEvents_RequestId_Id",
                table: "RequestEvents",
                columns: new[] { "RequestId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RequestEvents");

            migrationBuilder.DropColumn(
                name: "EnteredBy",
                table: "CustomerRequests");

            migrationBuilder.DropColumn(
                name: "Identification",
                table: "CustomerRequests");

            migrationBuilder.DropColumn(
                name: "PausedOn",
                table: "CustomerRequests");
        }
    }
}
